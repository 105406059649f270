from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


def test_the_login_page_renders(db, client: Client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "E-mail address" in response.content.decode()


def test_it_logs_in_with_the_address_in_any_case(owner, client: Client):
    response = client.post(reverse("accounts:login"), {"username": "OWNER@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_it_refuses_a_wrong_password_with_a_message(owner, client: Client):
    response = client.post(reverse("accounts:login"), {"username": owner.email, "password": "wrong password"})
    assert response.status_code == 200
    assert "Please enter a correct e-mail address and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_visitors_are_sent_to_log_in_and_come_back(owner, client: Client):
    asked_for = reverse("accounts:password_change")
    response = client.get(asked_for)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={asked_for}"

    response = client.post(
        response["Location"], {"username": owner.email, "password": DEFAULT_PASSWORD, "next": asked_for}
    )
    assert response["Location"] == asked_for


def test_the_home_page_needs_a_login(db, client: Client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_home_page_shows_the_signed_in_users_name(owner_client: Client):
    response = owner_client.get(reverse("home"))
    assert response.status_code == 200
    assert "Olive Owner" in response.content.decode()

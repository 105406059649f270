from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

STRONG = "a-long enough pass phrase 42"


def signup(client: Client, **overrides):
    data = {"email": "new@example.com", "display_name": "New Person", "password1": STRONG, "password2": STRONG}
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


def test_it_creates_the_account_and_signs_in(db, client: Client):
    response = signup(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="new@example.com")
    assert user.display_name == "New Person"
    assert client.get(reverse("home")).status_code == 200


def test_it_rejects_an_address_already_taken_in_any_case(db, client: Client):
    UserFactory(email="taken@example.com")
    response = signup(client, email="TAKEN@example.com")
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.content.decode()
    assert User.objects.count() == 1


def test_it_shows_mismatched_passwords_next_to_the_field(db, client: Client):
    response = signup(client, password2="something else entirely 9")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password2-errors"' in body
    assert "two password fields didn" in body
    assert not User.objects.exists()


def test_it_rejects_a_weak_password(db, client: Client):
    response = signup(client, password1="password", password2="password")
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.exists()


def test_it_rejects_an_invalid_address(db, client: Client):
    response = signup(client, email="not-an-address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_it_returns_to_the_page_asked_for(db, client: Client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "n@example.com", "password1": STRONG, "password2": STRONG, "next": "/accounts/password/"},
    )
    assert response["Location"] == "/accounts/password/"


def test_it_ignores_a_next_url_on_another_host(db, client: Client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "n@example.com", "password1": STRONG, "password2": STRONG, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("home")

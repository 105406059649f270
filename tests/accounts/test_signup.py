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
    assert 'id="id_password2_error"' in body
    assert 'aria-describedby="id_password2_helptext id_password2_error"' in body  # the field names it
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


def test_signups_are_throttled_by_address_whatever_the_forwarded_header(db, settings):
    settings.SIGNUPS_PER_HOUR = 3
    for n in range(3):
        assert (
            signup(Client(headers={"X-Forwarded-For": f"203.0.113.{n}"}), email=f"n{n}@example.com").status_code == 302
        )
    refused = signup(Client(headers={"X-Forwarded-For": "198.51.100.9"}), email="n9@example.com")
    assert refused.status_code == 429
    assert "Too many sign-ups from this address" in refused.content.decode()
    assert not User.objects.filter(email="n9@example.com").exists()
    # Another address may still sign up.
    assert signup(Client(REMOTE_ADDR="192.0.2.44"), email="other@example.com").status_code == 302


def test_closed_signup_creates_no_account_and_says_who_does(db, client: Client, settings):
    settings.SIGNUP_OPEN = False
    page = client.get(reverse("accounts:signup"))
    assert page.status_code == 403
    assert "created by its administrators" in page.content.decode()
    assert signup(client).status_code == 403
    assert not User.objects.exists()
    assert "Create an account" not in client.get(reverse("accounts:login")).content.decode()


def test_the_password_help_says_what_a_new_password_needs_not_what_changing_one_does(db, client: Client):
    page = client.get(reverse("accounts:signup")).content.decode()
    assert "at least 8 characters" in page
    assert "Changing your password" not in page
    assert 'aria-describedby="id_password1_helptext"' in page
    assert 'id="id_password1_helptext"' in page

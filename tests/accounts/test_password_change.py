from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

NEW = "a brand new pass phrase 77"


def test_it_changes_the_password(owner, owner_client: Client):
    response = owner_client.post(
        reverse("accounts:password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW)


def test_it_requires_the_old_password(owner, owner_client: Client):
    response = owner_client.post(
        reverse("accounts:password_change"),
        {"old_password": "not it", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)

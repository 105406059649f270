from django.test import Client
from django.urls import reverse


def test_logout_needs_post(owner_client: Client):
    response = owner_client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert owner_client.get(reverse("home")).status_code == 200


def test_logout_by_post_signs_out(owner_client: Client):
    response = owner_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert owner_client.get(reverse("home")).status_code == 302

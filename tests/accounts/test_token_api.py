from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

URL = "/api/auth/token/"


def test_it_exchanges_email_and_password_for_a_token(owner):
    client = APIClient()
    response = client.post(URL, {"email": "OWNER@example.com", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/stats/").status_code == 200


def test_a_wrong_password_is_401(owner):
    response = APIClient().post(URL, {"email": owner.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong e-mail or password."}


def test_delete_revokes_the_token(owner):
    client = APIClient()
    token = client.post(URL, {"email": owner.email, "password": DEFAULT_PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete(URL).status_code == 204
    assert not Token.objects.exists()
    assert client.get("/api/stats/").status_code == 401


def test_missing_fields_are_400(db):
    response = APIClient().post(URL, {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import DeviceToken
from tests.factories import DEFAULT_PASSWORD

URL = "/api/auth/token/"
TOKENS = "/api/auth/tokens/"


def new_token(user, name: str = "", **headers) -> str:
    body = {"email": user.email, "password": DEFAULT_PASSWORD} | ({"name": name} if name else {})
    response = APIClient().post(URL, body, format="json", **headers)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def as_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_it_exchanges_email_and_password_for_a_named_token(owner):
    response = APIClient().post(
        URL, {"email": "OWNER@example.com", "password": DEFAULT_PASSWORD, "name": "Voice agent"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Voice agent"
    assert set(body) == {"token", "id", "name", "created", "expiry", "last_used_at"}
    assert as_token(body["token"]).get("/api/stats/").status_code == 200


def test_a_token_without_a_name_is_named_after_the_program(owner):
    new_token(owner, HTTP_USER_AGENT="voice-agent/2.1")
    assert DeviceToken.objects.get(user=owner).name == "voice-agent/2.1"


def test_a_wrong_password_is_401(owner):
    response = APIClient().post(URL, {"email": owner.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong e-mail or password."}


def test_missing_fields_are_400(db):
    response = APIClient().post(URL, {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_only_a_digest_is_stored(owner):
    key = new_token(owner, "Phone")
    stored = DeviceToken.objects.get(user=owner)
    assert key not in stored.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_devicetoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)


def test_two_programs_get_two_tokens_and_both_are_listed(owner):
    phone, agent = new_token(owner, "Phone"), new_token(owner, "Voice agent")
    assert phone != agent
    listed = as_token(phone).get(TOKENS).json()
    assert [token["name"] for token in listed] == ["Voice agent", "Phone"]
    assert all("token" not in token and "digest" not in token for token in listed)


def test_revoking_one_token_leaves_the_other_working(owner):
    phone, agent = new_token(owner, "Phone"), new_token(owner, "Voice agent")
    agent_id = next(t["id"] for t in as_token(phone).get(TOKENS).json() if t["name"] == "Voice agent")
    assert as_token(phone).delete(f"{TOKENS}{agent_id}/").status_code == 204
    assert as_token(agent).get("/api/stats/").status_code == 401
    assert as_token(phone).get("/api/stats/").status_code == 200


def test_delete_revokes_the_calling_token_only(owner):
    phone, agent = new_token(owner, "Phone"), new_token(owner, "Voice agent")
    assert as_token(phone).delete(URL).status_code == 204
    assert as_token(phone).get("/api/stats/").status_code == 401
    assert as_token(agent).get("/api/stats/").status_code == 200


def test_another_users_token_cannot_be_revoked(owner, outsider):
    new_token(owner, "Phone")
    owners = DeviceToken.objects.get(user=owner).public_id
    response = as_token(new_token(outsider, "Laptop")).delete(f"{TOKENS}{owners}/")
    assert response.status_code == 404
    assert DeviceToken.objects.filter(user=owner).exists()


def test_an_expired_token_is_refused(owner):
    key = new_token(owner, "Phone")
    DeviceToken.objects.filter(user=owner).update(expiry=timezone.now() - timedelta(seconds=1))
    assert as_token(key).get("/api/stats/").status_code == 401
    assert as_token(new_token(owner, "New phone")).get(TOKENS).json()[0]["name"] == "New phone"


def test_a_token_expires_after_the_configured_days(owner, settings):
    new_token(owner, "Phone")
    token = DeviceToken.objects.get(user=owner)
    assert timedelta(days=89, hours=23) < token.expiry - token.created <= timedelta(days=90)


def test_a_password_change_on_the_account_page_revokes_every_token(owner):
    phone, agent = new_token(owner, "Phone"), new_token(owner, "Voice agent")
    browser = Client()
    browser.force_login(owner)
    response = browser.post(
        "/accounts/password/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "a-new long pass 7", "new_password2": "a-new long pass 7"},
    )
    assert response.status_code == 302
    assert as_token(phone).get("/api/stats/").status_code == 401
    assert as_token(agent).get("/api/stats/").status_code == 401
    assert not DeviceToken.objects.filter(user=owner).exists()


def test_a_password_set_by_any_other_door_revokes_every_token_too(owner):
    key = new_token(owner, "Phone")
    owner.set_password("set by staff 123")
    owner.save()
    assert as_token(key).get("/api/stats/").status_code == 401


def test_a_deactivated_users_token_is_refused(owner):
    key = new_token(owner, "Phone")
    owner.__class__.objects.filter(pk=owner.pk).update(is_active=False)
    assert as_token(key).get("/api/stats/").status_code == 401


def test_the_number_of_tokens_is_capped_with_a_clear_message(owner, settings):
    settings.MAX_DEVICE_TOKENS_PER_USER = 2
    new_token(owner, "One"), new_token(owner, "Two")
    response = APIClient().post(
        URL, {"email": owner.email, "password": DEFAULT_PASSWORD, "name": "Three"}, format="json"
    )
    assert response.status_code == 400
    assert "revoke one" in str(response.json())


def test_an_authenticated_call_costs_two_queries(owner, django_assert_num_queries):
    client = as_token(new_token(owner, "Phone"))
    client.get("/api/stats/")
    with django_assert_num_queries(3):  # the token with its user, then the stats: the sessions, the tokens
        assert client.get("/api/stats/").status_code == 200


def test_a_token_header_that_is_not_utf8_is_401_not_an_error(db):
    assert as_token("\xff\xfe").get("/api/stats/").status_code == 401


@pytest.mark.parametrize("key", ["a\x00b", "\x00" * 64, "é" * 64])
def test_a_malformed_token_is_a_401_not_a_500(db, key):
    response = APIClient().get("/api/sessions/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401

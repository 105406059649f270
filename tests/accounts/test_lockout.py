"""Brute force on any login door locks the account and the address out, for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

LIMIT = 5


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_auth": "1000/min"}}  # fmt: skip


def login_page(client: Client, email: str, password: str, *, forwarded_for: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def admin_login(client: Client, email: str, password: str, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password}, **extra)


def token_call(email: str, password: str, **extra):
    return APIClient().post("/api/auth/token/", {"email": email, "password": password}, format="json", **extra)


def test_the_login_page_locks_an_account_out_after_repeated_failures(owner, client):
    for _ in range(LIMIT - 1):
        assert login_page(client, owner.email, "wrong").status_code == 200
    assert login_page(client, owner.email, "wrong").status_code == 429  # the LIMIT-th failure locks
    refused = login_page(client, owner.email, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed log-ins" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_rotating_x_forwarded_for_does_not_help(owner, client):
    for n in range(LIMIT):
        login_page(client, f"someone{n}@example.com", "wrong", forwarded_for=f"203.0.113.{n}")
    # Every attempt came from this one connection: the address is locked out, whatever the header says.
    refused = login_page(client, owner.email, DEFAULT_PASSWORD, forwarded_for="198.51.100.7")
    assert refused.status_code == 429


def test_the_account_is_locked_whatever_the_case_of_its_address(owner):
    for n in range(LIMIT):
        login_page(Client(REMOTE_ADDR=f"192.0.2.{n}"), owner.email.upper(), "wrong")
    assert login_page(Client(REMOTE_ADDR="192.0.2.200"), owner.email, DEFAULT_PASSWORD).status_code == 429


def test_the_admin_login_locks_out_too(owner, client):
    owner.is_staff = True
    owner.save()
    for _ in range(LIMIT):
        admin_login(client, owner.email, "wrong")
    assert admin_login(client, owner.email, DEFAULT_PASSWORD).status_code == 429


def test_the_token_endpoint_answers_json_429_with_retry_after(owner):
    for _ in range(LIMIT - 1):
        assert token_call(owner.email, "wrong").status_code == 401
    token_call(owner.email, "wrong")
    refused = token_call(owner.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many failed log-ins")
    assert "reset" not in refused.json()["detail"]  # there is no password reset to promise
    assert int(refused["Retry-After"]) > 0


def test_a_locked_account_gets_no_token_from_any_address_even_with_its_password(owner):
    for n in range(LIMIT):
        token_call(owner.email, "wrong", REMOTE_ADDR=f"192.0.2.{10 + n}")
    assert token_call(owner.email, "wrong", REMOTE_ADDR="192.0.2.30").status_code == 429
    refused = token_call(owner.email, DEFAULT_PASSWORD, REMOTE_ADDR="192.0.2.31")
    assert refused.status_code == 429
    assert "token" not in refused.json()


def test_failures_on_one_door_count_on_the_others(owner, client):
    for _ in range(LIMIT):
        token_call(owner.email, "wrong")
    assert login_page(client, owner.email, DEFAULT_PASSWORD).status_code == 429


def test_the_lockout_ends_by_itself(owner, client, settings):
    for _ in range(LIMIT):
        login_page(client, owner.email, "wrong")
    assert login_page(client, owner.email, DEFAULT_PASSWORD).status_code == 429
    # The clock moved past the cool-off: the failures are that much older.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert login_page(client, owner.email, DEFAULT_PASSWORD).status_code == 302


def test_a_trusted_proxys_forwarded_address_is_the_client(settings, rf):
    from accounts.lockout import client_address

    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "10.0.0.2"  # no proxy trusted: the peer
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.5"  # what nginx saw, not what the client wrote


def test_a_success_on_ones_own_account_does_not_reset_anothers_failures(owner, outsider):
    # The attacker (outsider) guesses the owner's password from one address, then logs in to their
    # own account from it: the owner's failures still count, and the next guess locks the owner out.
    attacker = Client(REMOTE_ADDR="192.0.2.66")
    for _ in range(LIMIT - 1):
        assert login_page(attacker, owner.email, "wrong").status_code == 200
    assert login_page(Client(REMOTE_ADDR="192.0.2.66"), outsider.email, DEFAULT_PASSWORD).status_code == 302
    assert login_page(attacker, owner.email, "wrong").status_code == 429
    assert login_page(attacker, owner.email, DEFAULT_PASSWORD).status_code == 429
    assert login_page(Client(REMOTE_ADDR="198.51.100.9"), owner.email, DEFAULT_PASSWORD).status_code == 429


def test_a_success_on_another_account_does_not_lift_the_addresss_lock(owner, outsider):
    attacker = Client(REMOTE_ADDR="192.0.2.67")
    for n in range(LIMIT):
        login_page(attacker, f"someone{n}@example.com", "wrong")
    assert login_page(Client(REMOTE_ADDR="192.0.2.67"), outsider.email, DEFAULT_PASSWORD).status_code == 429
    assert login_page(Client(REMOTE_ADDR="192.0.2.67"), owner.email, DEFAULT_PASSWORD).status_code == 429


def test_a_success_resets_the_accounts_own_failures(owner):
    for _ in range(LIMIT - 1):
        login_page(Client(REMOTE_ADDR="192.0.2.68"), owner.email, "wrong")
    assert login_page(Client(REMOTE_ADDR="192.0.2.68"), owner.email, DEFAULT_PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert login_page(Client(REMOTE_ADDR="192.0.2.68"), owner.email, "wrong").status_code == 200
    assert login_page(Client(REMOTE_ADDR="192.0.2.68"), owner.email, DEFAULT_PASSWORD).status_code == 302

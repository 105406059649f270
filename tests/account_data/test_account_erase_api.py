"""DELETE /api/account/: the account and everything it owns, for good, with its password."""

import pytest
from channels.db import database_sync_to_async
from django.apps import apps
from django.db import models
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from account_data import services
from accounts import services as accounts_services
from accounts.models import AccountExport, User
from conversation import context
from conversation.models import SessionAudit
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import say, socket_headers, socket_open, token_client

URL = "/api/account/"


def rows_of_user(user_id: int) -> dict[str, int]:
    """Every table's rows that point at the user (a foreign key to it) or name its address."""
    found = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model is User:
                count = model.objects.filter(**{field.attname: user_id}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


@pytest.fixture
def busy_owner(owner):
    """An owner with sessions (one in the trash), a cached context window, a token and an export."""
    session = session_create(user=owner, title="Mine")
    say(owner, session, "hello", "there")
    session.refresh_from_db()
    context.context_window_get(session=session)  # cached in Redis
    trashed = session_create(user=owner)
    say(owner, trashed, "old")
    session_trash(user=owner, session_id=trashed.pk)
    export = services.account_export_start(user=owner)
    services.account_export_build(export_id=str(export.pk))
    return owner


def test_it_erases_the_account_and_everything_it_owns(
    busy_owner, outsider, exports_root, django_capture_on_commit_callbacks
):
    theirs = session_create(user=outsider)
    say(outsider, theirs, "not yours")
    client = token_client(busy_owner)
    export_file = AccountExport.objects.get(user=busy_owner).file
    user_id = busy_owner.pk
    assert rows_of_user(user_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user_id).exists()
    assert rows_of_user(user_id) == {}
    assert not (exports_root / export_file).exists()
    assert rows_of_user(outsider.pk) != {}
    # The record of the removals stays: numbers and counts, never text.
    audits = SessionAudit.objects.filter(owner_id=user_id, action=SessionAudit.Action.PURGE)
    assert {(a.cause, a.actor_id, a.utterance_count) for a in audits} == {
        (SessionAudit.Cause.ERASURE, user_id, 2),
        (SessionAudit.Cause.ERASURE, user_id, 1),
    }
    # Its token no longer opens anything.
    assert client.get("/api/sessions/").status_code == 401


def test_no_key_of_the_account_stays_in_redis(busy_owner, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(busy_owner)
    client.get("/api/sessions/")  # rate counters
    session_ids = [str(s.pk) for s in busy_owner.chat_sessions.all()]
    redis = get_redis_connection("default")

    marks = [sid.encode() for sid in session_ids] + [f"_{busy_owner.pk}:".encode()]  # throttle_<scope>_<id>:

    def keys_of_user() -> list[bytes]:
        return [key for key in redis.keys("*") if any(mark in key for mark in marks)]

    assert {b"ctx:" in key for key in keys_of_user()} == {True, False}  # a window and rate counters
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(URL, {"password": DEFAULT_PASSWORD}, format="json").status_code == 204
    assert keys_of_user() == []


def test_a_wrong_or_missing_password_erases_nothing(busy_owner):
    client = APIClient()
    client.force_authenticate(busy_owner)
    wrong = client.delete(URL, {"password": "not it"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"password": ["Wrong password."]}
    missing = client.delete(URL, {}, format="json")
    assert missing.status_code == 400
    assert "password" in missing.json()["errors"]
    assert User.objects.filter(pk=busy_owner.pk).exists()
    assert busy_owner.chat_sessions.count() == 2


def test_the_browser_that_erases_is_logged_out(owner_client, owner):
    response = owner_client.delete(URL, {"password": DEFAULT_PASSWORD}, content_type="application/json")
    assert response.status_code == 204
    assert owner_client.get("/api/sessions/").status_code in (401, 403)


def test_it_needs_a_signed_in_user(db):
    assert APIClient().delete(URL, {"password": "x"}, format="json").status_code == 401


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_erasing_closes_the_accounts_open_sockets(owner, outsider):
    from django.test import Client

    @database_sync_to_async
    def cookie_of(user) -> str:
        browser = Client()
        browser.force_login(user)
        return browser.cookies["sessionid"].value

    mine = await socket_open(socket_headers(cookie=await cookie_of(owner)))
    _, key = await database_sync_to_async(accounts_services.device_token_create)(user=owner, name="agent")
    agent = await socket_open(socket_headers(token=key))
    theirs = await socket_open(socket_headers(cookie=await cookie_of(outsider)))

    await database_sync_to_async(services.account_erase)(user=owner)

    for socket in (mine, agent):
        output = await socket.receive_output(timeout=5)
        assert (output["type"], output.get("code")) == ("websocket.close", 4401)
    await theirs.send_json_to({"type": "open", "session_id": "00000000-0000-0000-0000-000000000000"})
    assert (await theirs.receive_output(timeout=5))["type"] == "websocket.send"
    await theirs.disconnect()

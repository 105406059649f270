"""Every endpoint x {owner, other user, anonymous, token holder, revoked token}."""

import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import DeviceToken
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from tests.helpers import say, token_client

# (method, path, body, owner's status); {id} is the owner's session.
ENDPOINTS = [
    ("get", "/api/sessions/", None, 200),
    ("post", "/api/sessions/", {"title": "x"}, 201),
    ("get", "/api/sessions/{id}/", None, 200),
    ("patch", "/api/sessions/{id}/", {"title": "y"}, 200),
    ("delete", "/api/sessions/{id}/", None, 204),
    ("get", "/api/sessions/{id}/utterances/", None, 200),
    ("post", "/api/sessions/{id}/utterances/", {"role": "user", "text": "hi"}, 201),
    ("post", "/api/sessions/{id}/clear/", None, 200),
    ("get", "/api/sessions/{id}/export/", None, 200),
    ("post", "/api/sessions/save/", {"session_id": "{id}", "messages": [{"role": "user", "text": "s"}]}, 200),
    ("get", "/api/sessions/{id}/context/", None, 200),
    ("post", "/api/sessions/{id}/reply/", {"text": "hi", "client_id": "matrix"}, 200),
    ("post", "/api/sessions/{id}/restore/", None, 200),
    ("delete", "/api/sessions/{id}/?permanent=true", None, 204),
    ("get", "/api/sessions/?view=trash", None, 200),
    ("delete", "/api/trash/", None, 200),
    ("post", "/api/sessions/bulk/", {"ids": ["{id}"], "action": "pin"}, 200),
    ("get", "/api/personas/", None, 200),
    ("get", "/api/stats/", None, 200),
    ("get", "/api/search/?q=hello", None, 200),
    ("put", "/api/sessions/{id}/tags/", {"tags": ["x"]}, 200),
    ("get", "/api/tags/", None, 200),
    ("put", "/api/sessions/{id}/context/summary/", {"text": "x"}, 400),  # the chat has no summary yet
]
SESSION_SCOPED = {"/api/sessions/{id}/", "/api/sessions/save/"} | {p for _, p, _, _ in ENDPOINTS if "{id}" in p}


@pytest.fixture
def target(owner):
    session = session_create(user=owner)
    say(owner, session, "hello")
    return session


def call(client, method, path, body, session_id):
    path = path.replace("{id}", str(session_id))
    if body is not None:
        body = {k: _with_id(v, session_id) for k, v in body.items()}
    if isinstance(client, APIClient):
        return getattr(client, method)(path, body, format="json")
    return getattr(client, method)(path, body, content_type="application/json")


def _with_id(value, session_id):
    if isinstance(value, list):
        return [_with_id(item, session_id) for item in value]
    return value.replace("{id}", str(session_id)) if isinstance(value, str) else value


def ids(endpoint):
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_the_owner_with_a_token(owner, target, endpoint):
    method, path, body, expected = endpoint
    assert call(token_client(owner), method, path, body, target.pk).status_code == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_the_owner_with_the_browser_session(owner, target, endpoint):
    client = Client()
    client.force_login(owner)
    method, path, body, expected = endpoint
    assert call(client, method, path, body, target.pk).status_code == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_another_user_gets_404_on_the_owners_session(outsider, target, endpoint):
    method, path, body, expected = endpoint
    response = call(token_client(outsider), method, path, body, target.pk)
    if path in SESSION_SCOPED:
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    else:
        assert response.status_code == expected  # their own list, personas, stats
    target.refresh_from_db()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_anonymous_gets_401(db, target, endpoint):
    method, path, body, _ = endpoint
    response = call(APIClient(), method, path, body, target.pk)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_a_revoked_token_gets_401(owner, target, endpoint):
    client = token_client(owner)
    DeviceToken.objects.filter(user=owner).delete()
    method, path, body, _ = endpoint
    assert call(client, method, path, body, target.pk).status_code == 401


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[0] != "get"], ids=ids)
def test_a_browser_write_without_csrf_is_403(owner, target, endpoint):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    method, path, body, _ = endpoint
    response = call(client, method, path, body, target.pk)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_missing_session_is_the_same_404(owner):
    response = token_client(owner).get(f"/api/sessions/{uuid.uuid4()}/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# What a session in the trash still answers to: its restore and its removal for good.
TRASH_DOORS = {("post", "/api/sessions/{id}/restore/"), ("delete", "/api/sessions/{id}/?permanent=true")}


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[1] in SESSION_SCOPED], ids=ids)
def test_a_session_in_the_trash_is_404_everywhere_but_its_restore_and_removal(owner, target, endpoint):
    session_trash(user=owner, session_id=target.pk)
    method, path, body, expected = endpoint
    response = call(token_client(owner), method, path, body, target.pk)
    if (method, path) in TRASH_DOORS:
        assert response.status_code == expected
        return
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Not found."}
    target.refresh_from_db()  # and nothing was written
    assert (target.deleted_at is not None, target.message_count, target.utterances.count()) == (True, 1, 1)

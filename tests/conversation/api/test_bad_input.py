"""Bad input gets a clear 4xx with a message, never a 500, and writes nothing."""

import json

import pytest

from conversation.models import Session, Utterance

BIG = "x" * 32001


@pytest.fixture
def state(owner, session):
    def snapshot():
        return Session.objects.count(), Utterance.objects.count(), Session.objects.get(pk=session.pk).title

    return snapshot


CASES = [
    # (method, path, body or query, expected status, field named in errors or None)
    ("post", "utterances", {"utterances": [{"role": "user", "text": 42}]}, 400, "utterances[0].text"),
    ("post", "utterances", {"utterances": [{"role": "wizard", "text": "hi"}]}, 400, "utterances[0].role"),
    ("post", "utterances", {"utterances": [{"role": "user", "text": BIG}]}, 400, "text"),
    ("post", "utterances", {"utterances": [{"role": "user", "text": "x"}] * 501}, 400, "utterances"),
    ("post", "utterances", {"utterances": [{"role": "user", "text": "x", "metadata": {"k": "v" * 17000}}]}, 400, None),
    ("post", "utterances", {"utterances": [{"role": "user", "text": "x", "metadata": [1]}]}, 400, None),
    ("post", "utterances", {"utterances": [{"role": "user", "text": "x", "is_final": "yes"}]}, 400, None),
    ("post", "utterances", {"utterances": "nope"}, 400, "utterances"),
    ("post", "utterances", {"utterances": [{"role": "user", "text": "   "}]}, 400, "text"),
    # What PostgreSQL cannot store: NUL characters and unpaired surrogates, sent as JSON escapes.
    ("post", "utterances", r'{"utterances": [{"role": "user", "text": "a \ud800"}]}', 400, "utterances[0].text"),
    ("post", "utterances", r'{"utterances": [{"role": "user", "text": "x", "metadata": {"k": "\u0000"}}]}', 400, None),
    ("post", "save", r'{"messages": [{"role": "agent", "text": "x", "metadata": {"k": "\udc00"}}]}', 400, None),
    ("patch", "detail", r'{"title": "a \ud800"}', 400, "title"),
    # What the live events cannot encode, and what would break a recursive check.
    ("post", "utterances", {"utterances": [{"role": "user", "text": "x", "metadata": {"n": 2**64}}]}, 400, None),
    ("patch", "detail", {"metadata": {"n": -(2**63) - 1}}, 400, "metadata"),
    ("post", "utterances", '{"role": "user", "text": "x", "metadata": ' + "[" * 30 + "]" * 30 + "}", 400, "metadata"),
    ("post", "utterances", '{"role": "user", "text": "x", "metadata": ' + "[" * 100000 + "]" * 100000 + "}", 400, None),
    ("post", "utterances", {"role": "user", "text": "x", "client_id": "c" * 81}, 400, "client_id"),
    ("get", "utterances", {"limit": -1}, 400, "limit"),
    ("get", "utterances", {"limit": 100000}, 400, "limit"),
    ("get", "utterances", {"before": "abc"}, 400, "before"),
    ("get", "utterances", {"before": 5, "after": 2}, 400, "before"),
    ("get", "export", {"format": "docx"}, 400, "format"),
    ("patch", "detail", {"title": "t" * 201}, 400, "title"),
    ("patch", "detail", {"title": 5}, 400, "title"),
    ("patch", "detail", {"persona": "pirate"}, 400, "persona"),
    ("patch", "detail", {"metadata": "not an object"}, 400, "metadata"),
    ("post", "list", {"persona": "pirate"}, 400, "persona"),
    ("post", "list", {"metadata": {"k": "v" * 17000}}, 400, "metadata"),
    ("get", "list", {"limit": 0}, 400, "limit"),
    ("get", "list", {"q": "q" * 300}, 400, "q"),
    ("post", "save", {"session_id": "not-a-uuid", "messages": []}, 400, "session_id"),
    ("post", "save", {"messages": [{"role": "agent", "text": "x", "timestamp": True}]}, 400, None),
    ("post", "save", {"messages": "all of them"}, 400, "messages"),
    ("post", "save", {"end": "yes", "messages": []}, 400, "end"),
]


def path_for(kind, session):
    return {
        "utterances": f"/api/sessions/{session.pk}/utterances/",
        "export": f"/api/sessions/{session.pk}/export/",
        "detail": f"/api/sessions/{session.pk}/",
        "list": "/api/sessions/",
        "save": "/api/sessions/save/",
    }[kind]


@pytest.mark.parametrize(("method", "kind", "data", "expected", "field"), CASES)
def test_bad_input_is_a_4xx_with_a_message_and_writes_nothing(api, session, state, method, kind, data, expected, field):
    before = state()
    if method == "get":
        response = api.get(path_for(kind, session), data)
    elif isinstance(data, str):  # a JSON text as sent, for what Python's encoder would not produce
        response = api.generic(method.upper(), path_for(kind, session), data, content_type="application/json")
    else:
        response = getattr(api, method)(path_for(kind, session), data, format="json")
    assert response.status_code == expected, response.content
    body = response.json()
    assert body["detail"]
    if field is not None:
        assert any(key.startswith(field) or key.endswith(field) for key in body["errors"]), body
    assert state() == before


def test_malformed_json_is_a_400(api, session, state):
    before = state()
    response = api.generic(
        "POST", f"/api/sessions/{session.pk}/utterances/", '{"utterances": [', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert state() == before


def test_an_empty_body_is_a_400(api, session):
    response = api.generic("POST", f"/api/sessions/{session.pk}/utterances/", "", content_type="application/json")
    assert response.status_code == 400


def test_a_body_over_the_limit_is_413(api, session, settings, state):
    settings.API_MAX_BODY_BYTES = 1000
    before = state()
    response = api.post(
        f"/api/sessions/{session.pk}/utterances/", {"utterances": [{"role": "user", "text": "x" * 2000}]}, format="json"
    )
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    assert state() == before


def test_a_form_encoded_body_is_415(api, session):
    response = api.post(f"/api/sessions/{session.pk}/utterances/", {"role": "user", "text": "x"})
    assert response.status_code == 415
    assert response.json()["detail"]


def test_an_unknown_api_url_answers_json_404(api):
    response = api.get("/api/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_body_of_3_mib_is_accepted_under_the_default_limit(api, session):
    body = json.dumps({"utterances": [{"role": "user", "text": "x" * 30000}] * 100})
    assert 3_000_000 < len(body) < 4 * 1024 * 1024
    response = api.generic("POST", f"/api/sessions/{session.pk}/utterances/", body, content_type="application/json")
    assert response.status_code == 201
    assert Utterance.objects.filter(session=session).count() == 100


def test_a_body_over_the_default_limit_is_a_json_413(api, session, state):
    before = state()
    body = json.dumps({"utterances": [{"role": "user", "text": "x" * 30000}] * 150})
    assert len(body) > 4 * 1024 * 1024
    response = api.generic("POST", f"/api/sessions/{session.pk}/utterances/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is over the limit of 4194304 bytes."}
    assert state() == before


def test_a_database_outage_is_a_json_503_with_retry_after(api, monkeypatch):
    from django.db import OperationalError

    from conversation.api import sessions

    def unreachable(**kwargs):
        raise OperationalError("the database is restarting")

    monkeypatch.setattr(sessions, "persona_list", unreachable)
    response = api.get("/api/personas/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable for a moment; try again."}
    assert response["Retry-After"] == "1"

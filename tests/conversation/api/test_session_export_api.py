import json

import pytest

from conversation import services
from conversation.api import export
from tests.helpers import say


def body_of(response) -> str:
    return b"".join(list(response)).decode()


@pytest.fixture
def chat(owner):
    session = services.session_create(user=owner, title="Bread & Butter")
    say(owner, session, "How long to proof?")
    say(owner, session, "Overnight, in the **fridge**.", role="assistant")
    say(owner, session, "typing…", is_final=False)
    return session


def test_it_exports_json_as_an_attachment(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="bread-butter-')
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(body_of(response))
    assert data["session"]["title"] == "Bread & Butter"
    assert [(m["seq"], m["role"], m["text"]) for m in data["messages"]] == [
        (1, "user", "How long to proof?"),
        (2, "assistant", "Overnight, in the **fridge**."),
    ]


def test_it_exports_markdown(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "markdown"})
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].endswith('.md"')
    text = body_of(response)
    assert text.startswith("# Bread & Butter\n")
    assert "### You · " in text
    assert "Overnight, in the **fridge**." in text
    assert "typing" not in text


def test_json_is_the_default(api, chat):
    assert api.get(f"/api/sessions/{chat.pk}/export/")["Content-Type"] == "application/json"


def test_an_unknown_format_is_a_400_naming_the_choices(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "pdf"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_it_streams_in_pages(api, owner, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_PAGE_SIZE", 10)
    session = services.session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(35)])
    response = api.get(f"/api/sessions/{session.pk}/export/")
    chunks = list(response)
    assert len(chunks) > 35
    assert len(json.loads(b"".join(chunks))["messages"]) == 35


def test_another_users_session_is_not_found(outsider_api, chat):
    assert outsider_api.get(f"/api/sessions/{chat.pk}/export/").status_code == 404

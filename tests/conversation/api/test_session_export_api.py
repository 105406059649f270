import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from conversation import exports as export
from conversation.sessions.create import session_create
from tests.helpers import say


def body_of(response) -> str:
    return b"".join(list(response)).decode()


@pytest.fixture
def chat(owner):
    session = session_create(user=owner, title="Bread & Butter")
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


@pytest.mark.parametrize("export_format", ["json", "markdown"])
def test_no_cache_keeps_an_export(api, chat, export_format):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": export_format})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_json_is_the_default(api, chat):
    assert api.get(f"/api/sessions/{chat.pk}/export/")["Content-Type"] == "application/json"


def test_an_unknown_format_is_a_400_naming_the_choices(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "pdf"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_it_streams_one_chunk_per_page(api, owner, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_PAGE_SIZE", 10)
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(35)])
    response = api.get(f"/api/sessions/{session.pk}/export/")
    chunks = list(response)
    assert len(chunks) == 1 + 4 + 1  # the session, four pages of at most ten, the end
    assert len(json.loads(b"".join(chunks))["messages"]) == 35


def test_another_users_session_is_not_found(outsider_api, chat):
    assert outsider_api.get(f"/api/sessions/{chat.pk}/export/").status_code == 404


def test_under_wsgi_it_streams_a_plain_iterator_page_by_page(api, chat, monkeypatch):
    # gunicorn serves exports: Django would gather an async iterator whole before sending a byte.
    monkeypatch.setattr(export, "EXPORT_PAGE_SIZE", 1)
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "markdown"})
    assert response.streaming
    assert not response.is_async
    chunks = [chunk.decode() for chunk in response.streaming_content]
    assert chunks[2].startswith("### You")  # a title, a summary line, then one chunk per page
    assert chunks[3].startswith("### Assistant")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_under_asgi_it_streams_an_async_iterator(owner, async_client):
    # Daphne (make run) serves exports too: Django would gather a plain iterator whole there.
    session = await sync_to_async(session_create)(user=owner, title="Async")
    await sync_to_async(say)(owner, session, "hello over ASGI")
    await async_client.aforce_login(owner)
    response = await async_client.get(f"/api/sessions/{session.pk}/export/", {"format": "json"})
    assert response.status_code == 200
    assert response.is_async
    body = "".join([chunk.decode() async for chunk in response.streaming_content])
    assert [m["text"] for m in json.loads(body)["messages"]] == ["hello over ASGI"]
    await sync_to_async(connections.close_all)()  # the ORM thread's, so that the test database can go

"""One home per shape: a session and an utterance read the same, key by key, in every API body, the
export, every live event and the socket (conversation/shapes.py builds them, conversation/events.py
every event), with times written one way; and no module but events.py writes an event's dict.

Events go through the real channel layer (Redis under make test), the API through HTTP, the socket
through WebsocketCommunicator.
"""

import ast
import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile

from account_data import services as account_services
from chatproject import live
from conversation import events
from conversation.sessions.create import session_create, session_update
from imports import services as import_services
from tests.helpers import say, socket_of, token_client
from tests.imports import samples

# The live tests' writes commit: their events are published after the commit.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async
ROOT = Path(__file__).resolve().parents[2]

SESSION_KEYS = {
    *("id", "title", "title_source", "preview", "persona", "created_at", "last_activity_at", "ended_at"),
    *("message_count", "head_seq", "pinned_at", "archived_at", "deleted_at", "folder", "tags"),
}
UTTERANCE_KEYS = {"seq", "parent_seq", "siblings", "role", "text", "is_final", "client_id", "created_at", "metadata"}


async def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def receive_until(channel: str, last: Callable[[dict], bool]) -> list[dict]:
    """Every event on the channel up to and including the first that is `last`."""
    received = []
    async with asyncio.timeout(10):
        while not received or not last(received[-1]):
            received.append((await get_channel_layer().receive(channel))["event"])
    return received


def of_type(event_type: str, *, status: str | None = None) -> Callable[[dict], bool]:
    """An event of that type; with `status`, an account.export or account.import of a job in that status."""

    def matches(event: dict) -> bool:
        job = event.get("export") or event.get("import") or {}
        return event["type"] == event_type and status in (None, job.get("status"))

    return matches


async def api_session(api, session_id) -> dict:
    """The session as the detail endpoint answers it, without the detail's own keys."""
    detail = (await db_call(api.get)(f"/api/sessions/{session_id}/")).json()
    assert set(detail) == SESSION_KEYS | {"metadata", "counts", "last_seq"}
    return {key: detail[key] for key in SESSION_KEYS}


async def api_export(api, session_id) -> dict:
    response = await db_call(api.get)(f"/api/sessions/{session_id}/export/")
    return json.loads(b"".join(await db_call(list)(response)))


def without_persona(session: dict) -> dict:
    """The session of the sidebar's events: the API's, without the persona their writes do not load."""
    return {key: value for key, value in session.items() if key != "persona"}


def without_siblings(utterance: dict) -> dict:
    return {key: value for key, value in utterance.items() if key != "siblings"}


@pytest.fixture(autouse=True)
def _jobs_run_here(settings):
    """The imports and exports these tests start are run by the test itself: their tasks go to a
    backend no worker reads, so that the run's worker (its tasks' rows emptied under it by the
    flush) never races the test for them."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": settings.TASKS["default"]["QUEUES"],
        }
    }


@pytest.fixture
def api(owner):
    return token_client(owner)


@committed
async def test_a_session_reads_the_same_in_every_api_body_the_export_and_the_socket(owner, api):
    session = await db_call(session_create)(user=owner, persona="creative-writer", title="Zebra plans")
    await db_call(session_update)(user=owner, session_id=session.pk, pinned=True)
    appended = await db_call(api.post)(
        f"/api/sessions/{session.pk}/utterances/", {"role": "user", "text": "a zebra crossing"}, format="json"
    )
    expected = await api_session(api, session.pk)

    listed = (await db_call(api.get)("/api/sessions/")).json()["results"]
    found = (await db_call(api.get)("/api/sessions/", {"q": "zebra"})).json()["results"]
    exported = (await api_export(api, session.pk))["session"]
    ws = await socket_of(owner)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    opened = await ws.receive_json_from(timeout=10)
    await ws.disconnect()

    assert expected["persona"] == {"slug": "creative-writer", "name": "Creative Writer"}
    assert expected["pinned_at"] is not None
    assert expected["preview"] == "a zebra crossing"
    assert appended.json()["session"] == expected
    assert [row for row in listed if row["id"] == str(session.pk)] == [expected]
    assert set(found[0]) == SESSION_KEYS | {"rank", "match_seq", "snippet", "highlights"}
    assert {key: found[0][key] for key in SESSION_KEYS} == expected
    assert set(exported) == SESSION_KEYS | {"metadata", "exported_at", "branches"}
    assert {key: exported[key] for key in SESSION_KEYS} == expected
    assert len(exported["exported_at"]) == len("2026-12-06T02:35:34.217999Z")  # microseconds, as the API's
    assert (opened["type"], opened["session"]) == ("session.opened", expected)


@committed
async def test_a_reply_answers_the_session_and_the_utterances_as_the_api_reads_them(owner, api):
    session = await db_call(session_create)(user=owner)

    reply = await db_call(api.post)(
        f"/api/sessions/{session.pk}/reply/", {"text": "hello"}, format="json", HTTP_ACCEPT="application/json"
    )

    page = (await db_call(api.get)(f"/api/sessions/{session.pk}/utterances/")).json()["results"]
    assert reply.json()["session"] == await api_session(api, session.pk)
    assert [reply.json()["user_utterance"], reply.json()["reply"]] == page


@committed
async def test_every_sidebar_event_carries_the_session_as_the_api_reads_it(owner, api):
    session = await db_call(session_create)(user=owner, persona="creative-writer")
    channel = await listen(live.user_group(owner.pk))
    writes = [
        ("session.renamed", lambda: session_update(user=owner, session_id=session.pk, title="Plans")),
        ("session.updated", lambda: session_update(user=owner, session_id=session.pk, archived=True)),
        ("session.activity", lambda: say(owner, session, "hello")),
    ]
    for event_type, write in writes:
        await db_call(write)()
        event = (await receive_until(channel, of_type(event_type)))[-1]
        assert event["session"] == without_persona(await api_session(api, session.pk)), event_type


@committed
async def test_session_created_carries_the_session_as_the_api_reads_it(owner, api):
    channel = await listen(live.user_group(owner.pk))

    session = await db_call(session_create)(user=owner, persona="creative-writer")

    event = (await receive_until(channel, of_type("session.created")))[-1]
    assert event["session"] == await api_session(api, session.pk)


@committed
async def test_an_utterance_reads_the_same_in_the_api_its_event_and_the_export(owner, api):
    session = await db_call(session_create)(user=owner)
    channel = await listen(events.session_group(session.pk))

    appended = await db_call(api.post)(
        f"/api/sessions/{session.pk}/utterances/",
        {"role": "user", "text": "hello", "client_id": "c1", "metadata": {"source": "test"}},
        format="json",
    )

    event = (await receive_until(channel, of_type("utterance")))[-1]
    page = (await db_call(api.get)(f"/api/sessions/{session.pk}/utterances/")).json()["results"]
    assert set(page[0]) == UTTERANCE_KEYS
    assert appended.json()["utterances"] == page
    assert event["utterance"] == without_siblings(page[0])
    assert (await api_export(api, session.pk))["messages"] == [without_siblings(page[0])]


@committed
async def test_a_replys_events_carry_the_utterances_as_the_api_reads_them(owner, api):
    session = await db_call(session_create)(user=owner)
    ws = await socket_of(owner)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    await ws.receive_json_from(timeout=10)

    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "c1", "text": "hello"})
    seen = [await ws.receive_json_from(timeout=10)]
    while seen[-1]["type"] != "reply.end":
        seen.append(await ws.receive_json_from(timeout=10))
    await ws.disconnect()

    page = (await db_call(api.get)(f"/api/sessions/{session.pk}/utterances/")).json()["results"]
    by_seq = {utterance["seq"]: without_siblings(utterance) for utterance in page}
    stored = [event["utterance"] for event in seen if event["type"] == "utterance"]
    assert stored
    assert [utterance for utterance in stored if utterance != by_seq[utterance["seq"]]] == []
    assert seen[-1]["utterance"] == by_seq[2]


async def import_file(api) -> dict:
    data = samples.as_json([samples.chatgpt_linear("a", title="One"), samples.chatgpt_linear("b", title="Two")])
    upload = SimpleUploadedFile("conversations.json", data)
    response = await db_call(api.post)("/api/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    return response.json()


@committed
async def test_an_imports_sessions_are_announced_as_the_api_reads_them(owner, api):
    channel = await listen(live.user_group(owner.pk))
    started = await import_file(api)

    await db_call(import_services.conversation_import_run)(import_id=started["id"])

    received = await receive_until(channel, of_type("account.import", status="done"))
    imported = [session for event in received if event["type"] == "sessions.imported" for session in event["sessions"]]
    assert len(imported) == 2
    for session in imported:
        assert session == without_persona(await api_session(api, session["id"]))


@committed
async def test_an_imports_event_reads_as_its_detail_api(owner, api):
    channel = await listen(live.user_group(owner.pk))
    started = await import_file(api)

    await db_call(import_services.conversation_import_run)(import_id=started["id"])

    received = await receive_until(channel, of_type("account.import", status="done"))
    assert received[-1]["import"] == (await db_call(api.get)(f"/api/imports/{started['id']}/")).json()


@committed
async def test_an_exports_event_reads_as_its_detail_api(owner, api):
    await db_call(session_create)(user=owner, title="Bread")
    channel = await listen(live.user_group(owner.pk))
    export = await db_call(account_services.account_export_start)(user=owner)

    await db_call(account_services.account_export_build)(export_id=str(export.pk))

    received = await receive_until(channel, of_type("account.export", status="done"))
    assert received[-1]["export"] == (await db_call(api.get)(f"/api/account/export/{export.pk}/")).json()


# ---- the sources ----------------------------------------------------------------------------------

APPS = ("accounts", "account_data", "chatproject", "conversation", "sharing", "imports")
# Where events are built: conversation's every event a page hears, and the accounts app's one
# (a socket's credential re-check, which no page hears).
EVENTS_MODULE = Path("conversation/events.py")
ACCOUNTS_EVENTS_MODULE = Path("accounts/events.py")


def event_types(module: Path = EVENTS_MODULE) -> set[str]:
    """The types of the events a module builds (not the channel layer's own chat.event)."""
    tree = ast.parse((ROOT / module).read_text())
    return {
        value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and key.value == "type" and isinstance(value, ast.Constant)
    } - {"chat.event"}


def inline_events(path: Path) -> list[str]:
    """`line: type` of each dict literal in the module with the type of an event."""
    if not path.exists():
        return []
    types = event_types() | event_types(ACCOUNTS_EVENTS_MODULE)
    return [
        f"{key.lineno}: {value.value}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Dict)
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and key.value == "type"
        if isinstance(value, ast.Constant) and value.value in types
    ]


def app_modules() -> list[Path]:
    return sorted(path.relative_to(ROOT) for app in APPS for path in (ROOT / app).rglob("*.py"))


def test_events_py_builds_every_event_of_the_protocol():
    documented = set()
    for line in (ROOT / "docs/websocket.md").read_text().split("## Server to client")[1].splitlines():
        if line.startswith("| `"):
            documented.add(line.split("`")[1])
    assert event_types() == documented
    assert event_types(ACCOUNTS_EVENTS_MODULE) == {"auth.recheck"}


def test_no_other_module_builds_an_event():
    builders = (EVENTS_MODULE, ACCOUNTS_EVENTS_MODULE)
    found = {str(path): inline_events(ROOT / path) for path in app_modules() if path not in builders}
    assert {path: sites for path, sites in found.items() if sites} == {}


def test_no_other_module_writes_times_another_way():
    found = [str(path) for path in app_modules() if "DjangoJSONEncoder" in (ROOT / path).read_text()]
    assert found == []

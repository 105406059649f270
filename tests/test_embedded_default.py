"""The embedded default (SQLite, local memory) runs the product's core paths too.

The suite runs on PostgreSQL; this drives the services once on a fresh SQLite file in a
subprocess, so that vendor-specific SQL cannot break `make run` unnoticed.
"""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.branches.edits import session_fork, utterance_edit
from conversation.branches.head import session_switch
from conversation.history.append import utterances_append
from conversation.history.pages import utterance_page
from conversation.history.save import conversation_save
from conversation.sessions.bulk import trash_empty
from conversation.sessions.create import session_create, session_update
from conversation.sessions.expiry import sessions_retire_batch
from conversation.sessions.lifecycle import session_clear, session_restore, session_trash
from conversation.sessions.lists import session_list_for_user
from conversation.inputs import UtteranceIn
from conversation.search import session_search_for_user

user = User.objects.create_user(email="lite@example.com", password="x")
session = session_create(user=user)
first = utterances_append(user=user, session_id=session.pk, utterances=[
    UtteranceIn(role="user", text="Tell me about Lisbon", client_id="a"),
    UtteranceIn(role="agent", text="Lisbon is hilly."),
])
assert [(u.seq, u.text) for u in first.utterances] == [(1, "Tell me about Lisbon"), (2, "Lisbon is hilly.")]
# The session an append returns is built from its statement's row: values as a queryset gives them.
import datetime, uuid
assert first.session.pk == session.pk and isinstance(first.session.pk, uuid.UUID), first.session.pk
assert isinstance(first.session.last_activity_at, datetime.datetime), first.session.last_activity_at
from conversation import shapes
assert shapes.session(first.session, with_persona=False)["id"] == str(session.pk)
again = utterances_append(user=user, session_id=session.pk, utterances=[
    UtteranceIn(role="user", text="Tell me about Lisbon", client_id="a"),
])
assert (again.created, again.utterances[0].pk) == (0, first.utterances[0].pk)
from conversation.context import context_window_get
window = context_window_get(session=first.session).messages
assert [m["seq"] for m in window] == [1, 2], window
hits = session_search_for_user(user=user, q="lisbon")
assert [h.session.pk for h in hits] == [session.pk]
start, end = hits[0].highlights[0]
assert (hits[0].seq, hits[0].snippet[start:end]) == (None, "Lisbon"), hits[0]  # the title matched
hits = session_search_for_user(user=user, q="hilly")
start, end = hits[0].highlights[0]
assert (hits[0].seq, hits[0].snippet[start:end]) == (2, "hilly"), hits[0]  # a message matched
titled = session_create(user=user, title="Sourdough notes")
assert [h.session.pk for h in session_search_for_user(user=user, q="sourdough")] == [titled.pk]
# Pin and archive: each list view through its partial index; search covers archived sessions.
session_update(user=user, session_id=titled.pk, pinned=True)
session_update(user=user, session_id=session.pk, archived=True)
def listed(view):
    return [row["id"] for row in session_list_for_user(user=user, view=view)]
assert (listed("live"), listed("pinned"), listed("archived")) == ([titled.pk], [titled.pk], [session.pk])
assert [h.session.pk for h in session_search_for_user(user=user, q="hilly")] == [session.pk]
session_update(user=user, session_id=session.pk, archived=False)
session_trash(user=user, session_id=titled.pk)
assert listed("trash") == [titled.pk] and titled.pk not in listed("live")
assert session_restore(user=user, session_id=titled.pk).deleted_at is None
doomed = session_create(user=user)
utterances_append(user=user, session_id=doomed.pk, utterances=[UtteranceIn(role="user", text="bye")])
session_trash(user=user, session_id=doomed.pk)
assert trash_empty(user=user) == (1, 1)
# Retention by the owner's setting: an idle session goes to the trash, a pinned one stays.
from datetime import timedelta
from accounts import services as account_services
from conversation.models import Session, Utterance
from django.utils import timezone
account_services.account_settings_update(user=user, retention_days=30)
idle, kept = session_create(user=user), session_create(user=user)
session_update(user=user, session_id=kept.pk, pinned=True)
Session.objects.filter(pk__in=[idle.pk, kept.pk]).update(last_activity_at=timezone.now() - timedelta(days=40))
assert sessions_retire_batch(now=timezone.now(), cap=None, batch_size=10) == (1, 0)
assert listed("trash") == [idle.pk] and kept.pk in listed("pinned")
conversation_save(user=user, messages=[UtteranceIn(role="user", text="saved")], end=True)
session_clear(user=user, session_id=session.pk)

# A reply turn: the claim, the busy rule and the stored reply, with the offline backend.
import asyncio
from conversation.replies.claim import ReplyBusy
from conversation.replies.stream import reply_events
from conversation.replies.turn import reply_begin
from django.conf import settings
settings.ASSISTANT_OFFLINE_DELAY_SECONDS = 0
turn = reply_begin(user=user, session_id=session.pk, text="hello", client_id="r1")
try:
    reply_begin(user=user, session_id=session.pk, text="other", client_id="r2")
    raise AssertionError("a second message was accepted while a reply was in flight")
except ReplyBusy:
    pass

async def rest():
    return [event async for event in reply_events(user=user, turn=turn)]

done = asyncio.run(rest())[-1]
assert done.utterance.text.startswith('You said: "hello"'), done.utterance.text
assert reply_begin(user=user, session_id=session.pk, text="other", client_id="r2").joined is False

# Search stops at SEARCH_TIMEOUT_MS on SQLite too: too broad, not an error.
from conversation.search import SearchTooBroad
broad = session_create(user=user)
for start in range(0, 20000, 500):
    utterances_append(user=user, session_id=broad.pk, utterances=[
        UtteranceIn(role="user", text=f"bread number {n}") for n in range(start, start + 500)
    ])
settings.SEARCH_TIMEOUT_MS = 1
try:
    session_search_for_user(user=user, q="number")
    raise AssertionError("a search over its time was answered")
except SearchTooBroad:
    pass
settings.SEARCH_TIMEOUT_MS = 1000
assert [h.session.pk for h in session_search_for_user(user=user, q="number 19999")] == [broad.pk]

# Branches: an edit, a switch back, a fork, and the window of the active branch.
from conversation.context import context_window_get
tree = session_create(user=user)
utterances_append(user=user, session_id=tree.pk, utterances=[
    UtteranceIn(role="user", text="q"), UtteranceIn(role="assistant", text="a"),
])
def texts(session_id):
    return [u.text for u in utterance_page(user=user, session_id=session_id).utterances]
utterance_edit(user=user, session_id=tree.pk, seq=1, text="q edited")
assert texts(tree.pk) == ["q edited"]
assert [m["text"] for m in context_window_get(session=Session.objects.get(pk=tree.pk)).messages] == ["q edited"]
session_switch(user=user, session_id=tree.pk, seq=1)
assert texts(tree.pk) == ["q", "a"]
utterances_append(user=user, session_id=tree.pk, utterances=[UtteranceIn(role="user", text="q2")])
utterance_edit(user=user, session_id=tree.pk, seq=4, text="q2 edited")  # a branch off a branch
page = utterance_page(user=user, session_id=tree.pk, limit=2)
assert [(u.text, page.siblings_of(u)["index"], page.siblings_of(u)["count"]) for u in page.utterances] == [
    ("a", 1, 1), ("q2 edited", 2, 2),
]
older = utterance_page(user=user, session_id=tree.pk, before=page.utterances[0].seq)
assert [u.text for u in older.utterances] == ["q"]
assert Session.objects.get(pk=tree.pk).message_count == 3
session_switch(user=user, session_id=tree.pk, seq=3)
assert texts(tree.pk) == ["q edited"]
session_switch(user=user, session_id=tree.pk, seq=1)
forked = session_fork(user=user, session_id=tree.pk, seq=2)
assert texts(forked.pk) == ["q", "a"] and forked.head_seq == 2

# The account's own data: the export job's work, then erasure.
import io, json, zipfile
from django.core.files.storage import storages
from accounts.models import AccountExport
from account_data import services as account_data_services

export = account_data_services.account_export_start(user=user)
account_data_services.account_export_build(export_id=str(export.pk))
export.refresh_from_db()
assert export.status == AccountExport.Status.DONE, export.error
with storages["exports"].open(export.file, "rb") as stored:
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(stored.read())).read("manifest.json"))
assert manifest["counts"]["sessions"] == Session.objects.filter(user=user).count()
# The export brought into another account (the whole tree, the head where it was), then a ChatGPT
# conversation with an edit, twice (the second adds nothing).
from imports import services as import_services
other = User.objects.create_user(email="other@example.com", password="x")
job = import_services.conversation_import_file(user=other, path=storages["exports"].path(export.file))
assert (job.status, job.failed, job.imported) == ("done", 0, manifest["counts"]["sessions"]), (job.error, job.failed)
copy = Session.objects.get(user=other, origin__source_id=str(tree.pk))
assert [u.text for u in utterance_page(user=other, session_id=copy.pk).utterances] == texts(tree.pk)
def tree_rows(session_id):
    return sorted(Utterance.objects.filter(session_id=session_id).values_list("seq", "parent_seq", "role", "text"))
assert tree_rows(copy.pk) == tree_rows(tree.pk)
def node(node_id, parent, role, text):
    content = {"content_type": "text", "parts": [text]}
    return {"id": node_id, "parent": parent, "message": {"author": {"role": role}, "content": content}}
chatgpt = [{"id": "g", "title": "Edited", "current_node": "u2", "mapping": {
    "u1": node("u1", None, "user", "one"), "a1": node("a1", "u1", "assistant", "two"),
    "u2": node("u2", None, "user", "one, edited"),
}}]
(tmp := __import__("pathlib").Path(storages["exports"].location) / "chatgpt.json").write_text(json.dumps(chatgpt))
for expected in ("imported", "present"):
    job = import_services.conversation_import_file(user=other, path=str(tmp))
    assert job.rows.get().result == expected, job.rows.get().error
edited = Session.objects.get(user=other, origin__source_id="g")
assert [u.text for u in utterance_page(user=other, session_id=edited.pk).utterances] == ["one, edited"]
session_switch(user=other, session_id=edited.pk, seq=1)
assert [u.text for u in utterance_page(user=other, session_id=edited.pk).utterances] == ["one", "two"]
# The API by device token: the token's fixed statement, and the list's pages both ways.
from django.test import Client
_, key = account_services.device_token_create(user=other, name="lite")
api = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="localhost")
for n in range(5):
    session_create(user=other, title=f"paged {n}")
expected = [str(row["id"]) for row in session_list_for_user(user=other)]
pages, url = [], "/api/sessions/?limit=2"
while url:
    body = api.get(url).json()
    pages.append([row["id"] for row in body["results"]])
    last, url = body, body["next"]
assert [i for page in pages for i in page] == expected, (pages, expected)
assert api.get(last["previous"]).json()["results"][0]["id"] == pages[-2][0]
assert Client(HTTP_AUTHORIZATION="Token nope", HTTP_HOST="localhost").get("/api/sessions/").status_code == 401
account_data_services.account_erase(user=user)
assert not User.objects.filter(pk=user.pk).exists() and not Session.objects.filter(user_id=user.pk).exists()
# An id that named the erased account's session is never another user's (its cached window neither).
taken = api.post(
    "/api/sessions/save/", {"session_id": str(session.pk), "messages": []}, content_type="application/json"
)
assert taken.status_code == 409, taken.content
assert api.get(f"/api/sessions/{session.pk}/context/").status_code == 404
print("embedded default ok")
"""


def test_the_core_paths_run_on_sqlite(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "embedded default ok" in result.stdout

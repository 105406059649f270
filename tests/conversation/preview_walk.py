"""Session previews checked against a brute-force walk (tests/conversation/test_session_preview.py,
and the same steps on SQLite in tests/test_embedded_default_previews.py): a chat built through the
real services, its stored preview compared after every step with the first final user message
found by walking the active branch from the head to the root."""

import uuid
from datetime import UTC, datetime

from conversation.branches.edits import session_fork, utterance_edit, utterance_regenerate_prepare
from conversation.branches.head import session_switch
from conversation.history.append import utterances_append
from conversation.history.save import conversation_save
from conversation.inputs import UtteranceIn, preview_text
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_clear
from imports.writer import ImportedMessage, conversation_import


def walked_preview(session_id) -> str:
    """The preview by brute force: the path from the head to the root, its first final user message."""
    head = Session.objects.values_list("head_seq", flat=True).get(pk=session_id)
    rows = {u.seq: u for u in Utterance.objects.filter(session_id=session_id)}
    path, seq = [], head
    while seq is not None:
        path.append(rows[seq])
        seq = rows[seq].parent_seq
    first = next((u.text for u in reversed(path) if u.role == "user" and u.is_final), None)
    return preview_text(first) if first else ""


def check(session_id) -> str:
    stored = Session.objects.values_list("preview", flat=True).get(pk=session_id)
    assert stored == walked_preview(session_id), (stored, walked_preview(session_id))
    return stored


def say(user, session_id, *texts, role="user", **fields) -> list:
    result = utterances_append(
        user=user, session_id=session_id, utterances=[UtteranceIn(role=role, text=t, **fields) for t in texts]
    )
    return [u.seq for u in result.utterances]


def imported(message_id, parent_id, role, text) -> ImportedMessage:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    return ImportedMessage(id=message_id, parent_id=parent_id, role=role, text=text, created_at=when, metadata={})


def run_every_writer(user) -> None:
    """Every writer of utterances or of the head, each step checked against the walk."""
    chat = session_create(user=user).pk
    assert check(chat) == ""
    say(user, chat, "Be brief.", role="system")
    assert check(chat) == ""
    say(user, chat, "Hel", is_final=False)  # an interim transcript is not a message
    assert check(chat) == ""
    (first,) = say(user, chat, "Hello   there,\n\n  world")
    assert check(chat) == "Hello there, world"
    say(user, chat, "Hi!", role="assistant")
    (second,) = say(user, chat, "Second question")
    assert check(chat) == "Hello there, world"
    (reply,) = say(user, chat, "An answer", role="assistant")
    assert check(chat) == "Hello there, world"

    # An edit of the first message: a new branch with another first message.
    utterance_edit(user=user, session_id=chat, seq=first, text="Rewritten opening")
    assert check(chat) == "Rewritten opening"
    (edited_reply,) = say(user, chat, "Another answer", role="assistant")
    # A regeneration keeps the first message.
    utterance_regenerate_prepare(user=user, session_id=chat, seq=edited_reply)
    assert check(chat) == "Rewritten opening"
    say(user, chat, "A third answer", role="assistant")
    assert check(chat) == "Rewritten opening"
    # Switches between the branches.
    session_switch(user=user, session_id=chat, seq=reply)
    assert check(chat) == "Hello there, world"
    session_switch(user=user, session_id=chat, seq=edited_reply)
    assert check(chat) == "Rewritten opening"
    session_switch(user=user, session_id=chat, seq=second)
    # An edit of a later message keeps the first.
    utterance_edit(user=user, session_id=chat, seq=second, text="Second, rephrased")
    assert check(chat) == "Hello there, world"
    # A long first message is cut, never inside an emoji.
    long_text = "x" * 118 + "👍🏽 and then much more"
    utterance_edit(user=user, session_id=chat, seq=first, text=long_text)
    stored = check(chat)
    assert stored == "x" * 118 + "…"  # the emoji would not fit whole
    (late,) = say(user, chat, "Later question")

    # Forks: the path up to a message; one before any user message has none.
    fork = session_fork(user=user, session_id=chat, seq=late).pk
    assert check(fork) == stored
    system_seq = Utterance.objects.filter(session_id=chat, role="system").values_list("seq", flat=True).get()
    bare = session_fork(user=user, session_id=chat, seq=system_seq).pk
    assert check(bare) == ""
    say(user, bare, "Fresh start")
    assert check(bare) == "Fresh start"

    # An edit at the root (the first utterance is the user's).
    root = session_create(user=user).pk
    (opening,) = say(user, root, "Opening")
    say(user, root, "Reply", role="assistant")
    utterance_edit(user=user, session_id=root, seq=opening, text="Opening, edited")
    assert check(root) == "Opening, edited"
    session_switch(user=user, session_id=root, seq=opening)
    assert check(root) == "Opening"

    # Saves: a new conversation, then continued.
    saved = uuid.uuid4()
    conversation_save(user=user, session_id=saved, messages=[UtteranceIn(role="agent", text="Welcome")])
    assert check(saved) == ""
    conversation_save(
        user=user,
        session_id=saved,
        messages=[UtteranceIn(role="agent", text="Welcome"), UtteranceIn(role="user", text="Book a table")],
    )
    assert check(saved) == "Book a table"

    # Imports: branched, the head on the older branch; then grown, the head on the edit's branch.
    messages = [
        imported("s", None, "system", "Hidden"),
        imported("u1", "s", "user", "Where in May?"),
        imported("a1", "u1", "assistant", "Lisbon."),
        imported("u1b", "s", "user", "Where in June?"),
        imported("a1b", "u1b", "assistant", "Porto."),
    ]
    outcome = conversation_import(
        user=user, source="chatgpt", source_id="trip", title="Trip", messages=messages, head_id="a1"
    )
    assert check(outcome.session_id) == "Where in May?"
    grown = [*messages, imported("u2b", "a1b", "user", "And July?")]
    conversation_import(user=user, source="chatgpt", source_id="trip", title="Trip", messages=grown, head_id="u2b")
    assert check(outcome.session_id) == "Where in June?"

    # A clear empties it; the next message sets it again.
    session_clear(user=user, session_id=chat)
    assert check(chat) == ""
    say(user, chat, "After the clear")
    assert check(chat) == "After the clear"

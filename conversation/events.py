"""Live events, fanned out through the channel layer to every open tab.

Two groups: ``user.{id}`` (every tab of a user: the sidebar's session.created / renamed / deleted /
activity) and ``session.{id}`` (every tab watching a session: its utterances and reply deltas).
Services publish only after their transaction commits (transaction.on_commit), so a tab never
hears of a write that rolled back. A channel layer that is down loses the event, not the write.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from chatproject.timestamps import iso_datetime, iso_datetimes
from conversation import shapes
from conversation.models import ContextSummary, Folder, Session, Tag, Utterance

logger = logging.getLogger(__name__)


def session_group(session_id: uuid.UUID | str) -> str:
    return f"session.{session_id}"


# Every event a client hears, each built by its own function (named after its type) and nowhere
# else: the objects in them are conversation/shapes.py's, so an event reads as the API does.
# The session in the sidebar's events (session.activity, .renamed, .updated, sessions.imported)
# leaves out its persona, which the writes behind them do not load.


def session_opened(*, session: Session, reply_in_progress: dict | None) -> dict:
    return {"type": "session.opened", "session": shapes.session(session), "reply_in_progress": reply_in_progress}


def send_accepted(*, ref: str, client_id: str, session_id: uuid.UUID | str) -> dict:
    return {"type": "send.accepted", "ref": ref, "client_id": client_id, "session_id": str(session_id)}


def switch_done(*, session_id: uuid.UUID | str, seq: int, head_seq: int | None) -> dict:
    return {"type": "switch.done", "session_id": str(session_id), "seq": seq, "head_seq": head_seq}


def error(*, code: str, message: str, ref: str | None = None, client_id: str | None = None) -> dict:
    """`client_id` names the message a refused send carried; without it the key is left out."""
    event = {"type": "error", "code": code, "message": message, "ref": ref}
    if client_id is not None:
        event["client_id"] = client_id
    return event


def utterance(*, session_id: uuid.UUID | str, utterance: Utterance) -> dict:
    return {"type": "utterance", "session_id": str(session_id), "utterance": shapes.utterance(utterance)}


def reply_start(*, session_id: uuid.UUID | str) -> dict:
    return {"type": "reply.start", "session_id": str(session_id)}


def reply_delta(*, session_id: uuid.UUID | str, offset: int, text: str) -> dict:
    return {"type": "reply.delta", "session_id": str(session_id), "offset": offset, "text": text}


def reply_end(*, session_id: uuid.UUID | str, utterance: Utterance | None) -> dict:
    """The stored reply, or None when nothing was produced."""
    stored = shapes.utterance(utterance) if utterance is not None else None
    return {"type": "reply.end", "session_id": str(session_id), "utterance": stored}


def session_created(*, session: Session) -> dict:
    return {"type": "session.created", "session": shapes.session(session)}


def session_renamed(*, session: Session) -> dict:
    return {"type": "session.renamed", "session": shapes.session(session, with_persona=False)}


def session_updated(*, session: Session) -> dict:
    return {"type": "session.updated", "session": shapes.session(session, with_persona=False)}


def session_activity(*, session: Session) -> dict:
    return {"type": "session.activity", "session": shapes.session(session, with_persona=False)}


def sessions_imported(*, sessions: Iterable[Session]) -> dict:
    return {"type": "sessions.imported", "sessions": [shapes.session(s, with_persona=False) for s in sessions]}


def session_head(*, session: Session) -> dict:
    return {"type": "session.head", "session_id": str(session.pk), "head_seq": session.head_seq}


def session_cleared(*, session_id: uuid.UUID | str) -> dict:
    return {"type": "session.cleared", "session_id": str(session_id)}


def session_deleted(*, session_ids: Iterable[uuid.UUID | str]) -> dict:
    return {"type": "session.deleted", "session_ids": [str(i) for i in session_ids]}


def session_ended(*, session_ids: Iterable[uuid.UUID | str], ended_at: datetime) -> dict:
    return {"type": "session.ended", "session_ids": [str(i) for i in session_ids], "ended_at": iso_datetime(ended_at)}


def sessions_expired(*, session_ids: Iterable[uuid.UUID | str], deleted_at: datetime) -> dict:
    ids = [str(i) for i in session_ids]
    return {"type": "sessions.expired", "session_ids": ids, "deleted_at": iso_datetime(deleted_at)}


def account_export(*, state: dict) -> dict:
    """An account export's state (account_data.selectors.account_export_state), as its detail API answers it."""
    return {"type": "account.export", "export": iso_datetimes(state)}


def account_import(*, state: dict) -> dict:
    """An import's state (imports.selectors.conversation_import_state), as its detail API answers it."""
    return {"type": "account.import", "import": iso_datetimes(state)}


# --- folders ---
def folders_changed(*, folders: Iterable[Folder]) -> dict:
    """The user's whole folder tree (at most MAX_FOLDERS), after any folder is created, changed or removed."""
    return {"type": "folders.changed", "folders": [shapes.folder(folder) for folder in folders]}


# --- tags ---


def tags_changed(*, tags: Iterable[Tag]) -> dict:
    """The user's tags, whole (at most MAX_TAGS), after one was made, renamed or deleted."""
    return {"type": "tags.changed", "tags": [shapes.tag(tag) for tag in tags]}


def sessions_tags(*, sessions: Iterable[Session]) -> dict:
    """Chats whose tags changed: each id with its tag names, sorted as Session.tag_names."""
    return {"type": "sessions.tags", "sessions": [{"id": str(s.pk), "tags": list(s.tag_names)} for s in sessions]}


# --- context (docs/context.md) ---
def context_changed(*, session_id: uuid.UUID, summary: ContextSummary | None) -> dict:
    """A chat's context changed besides its messages: a new summary was made, or its owner rewrote
    it (to the session's group: its open tabs refresh the "Earlier in this chat" block and the gauge)."""
    return {
        "type": "context.changed",
        "session_id": str(session_id),
        "summary": shapes.context_summary(summary) if summary is not None else None,
    }

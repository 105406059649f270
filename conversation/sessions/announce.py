"""What a session's owner's open tabs hear when sessions are created, changed, moved or ended
(events published after the commit)."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from chatproject import live
from conversation import events
from conversation.models import Session


def announce_created(session: Session) -> None:
    live.publish_after_commit([(live.user_group(session.user_id), events.session_created(session=session))])


def announce_changed(session: Session) -> None:
    live.publish_after_commit([(live.user_group(session.user_id), events.session_renamed(session=session))])


def announce_moved(sessions: list[Session]) -> None:
    """Pinned, archived, trashed or back: one session.updated per session to its owner's tabs."""
    live.publish_after_commit(
        [
            (
                live.user_group(session.user_id),
                events.session_updated(session=session),
            )
            for session in sessions
        ]
    )


def announce_ended(ended: Iterable[tuple[int, uuid.UUID]], *, ended_at: datetime) -> None:
    """One session.ended event per owner of the (user_id, session_id) pairs, after the commit."""
    live.publish_after_commit(
        [
            (
                live.user_group(user_id),
                events.session_ended(session_ids=session_ids, ended_at=ended_at),
            )
            for user_id, session_ids in ids_by_owner(ended).items()
        ]
    )


def ids_by_owner(sessions: Iterable[tuple[int, uuid.UUID]]) -> dict[int, list[str]]:
    """{owner's id: [session ids, as text]} of (user_id, session_id) pairs: for one event per owner."""
    by_owner: dict[int, list[str]] = {}
    for user_id, session_id in sessions:
        by_owner.setdefault(user_id, []).append(str(session_id))
    return by_owner

"""A session's lifecycle: cleared, moved to the trash and back, deleted for good, ended; each move
with its audit row (SessionAudit)."""

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from chatproject import live
from chatproject.db.commit import after_commit
from conversation import context, events
from conversation.models import ContextSummary, RetiredSessionId, Session, SessionAudit, SessionBranch, Utterance
from conversation.sessions.announce import announce_ended, announce_moved, ids_by_owner
from conversation.sessions.lookup import session_get_for_user


@transaction.atomic
def session_clear(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Remove every utterance, of every branch, but keep the session; seq numbering continues
    after the old ones."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    after_commit(
        context.context_windows_forget,
        states=[(session.user_id, session.pk, session.context_epoch, session.last_seq)],
    )
    Utterance.objects.filter(session=session).delete()
    SessionBranch.objects.filter(session=session).delete()
    ContextSummary.objects.filter(session=session).delete()  # seqs go on: an old summary's point would match
    session.message_count = session.user_message_count = 0
    session.assistant_message_count = session.system_message_count = 0
    session.context_epoch += 1
    session.head_seq, session.head_branch, session.branch_path = None, 0, []
    session.preview = ""
    session.save(
        update_fields=[
            "preview",
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
            "context_epoch",
            "head_seq",
            "head_branch",
            "branch_path",
        ]
    )
    live.publish_after_commit(
        [
            (events.session_group(session.pk), events.session_cleared(session_id=session.pk)),
            (live.user_group(user.pk), events.session_activity(session=session)),
        ]
    )
    return session


@transaction.atomic
def session_trash(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Move a session to the trash: every door but the trash's answers "not found" for it from now
    on (a reply being written in it is not stored, as after a delete). session_restore puts it back
    as it was."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    sessions_mark_trashed([session], trashed=True, actor_id=user.pk, cause=SessionAudit.Cause.USER)
    return session


@transaction.atomic
def session_restore(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Take a session out of the trash, unchanged (a session not in the trash is left as it is, so
    that a retried restore answers the same)."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True, in_trash=None)
    if session.deleted_at is not None:
        sessions_mark_trashed([session], trashed=False, actor_id=user.pk, cause=SessionAudit.Cause.USER)
    return session


@transaction.atomic
def session_delete(*, user: User, session_id: uuid.UUID | str) -> None:
    """Remove a session for good, from the trash or not."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True, in_trash=None)
    sessions_delete(session_ids=[session.pk], actor_id=user.pk)


@transaction.atomic
def sessions_trash_by_staff(*, session_ids: Iterable[uuid.UUID], actor: User) -> int:
    """The admin's "Move to trash": any owner's sessions not in the trash yet; returns how many moved."""
    sessions = list(
        Session.objects.filter(id__in=list(session_ids), deleted_at__isnull=True).select_for_update().order_by("id")
    )
    sessions_mark_trashed(sessions, trashed=True, actor_id=actor.pk, cause=SessionAudit.Cause.ADMIN)
    return len(sessions)


def sessions_mark_trashed(sessions: list[Session], *, trashed: bool, actor_id: int | None, cause: str) -> None:
    """Move locked `sessions` to the trash or out of it: one UPDATE, their audit rows, every tab told."""
    if not sessions:
        return
    now = timezone.now()
    changes = {"deleted_at": now} if trashed else {"deleted_at": None, "restored_at": now}
    Session.objects.filter(id__in=[session.pk for session in sessions]).update(**changes)
    for session in sessions:
        for field, value in changes.items():
            setattr(session, field, value)
    action = SessionAudit.Action.TRASH if trashed else SessionAudit.Action.RESTORE
    sessions_audit(action=action, cause=cause, actor_id=actor_id, sessions=[(s.user_id, s.pk) for s in sessions])
    announce_moved(sessions)


def sessions_audit(*, action: str, cause: str, actor_id: int | None, sessions: list[tuple[int, uuid.UUID]]) -> int:
    """An audit row per (owner id, session id), with the session's stored utterances counted (one
    grouped query); returns their total."""
    counts = dict(
        Utterance.objects.filter(session_id__in=[session_id for _, session_id in sessions])
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    SessionAudit.objects.bulk_create(
        SessionAudit(
            action=action,
            cause=cause,
            actor_id=actor_id,
            owner_id=owner_id,
            session_id=session_id,
            utterance_count=counts.get(session_id, 0),
        )
        for owner_id, session_id in sessions
    )
    return sum(counts.values())


def sessions_delete(
    *,
    session_ids: Iterable[uuid.UUID],
    announce: bool = True,
    actor_id: int | None = None,
    cause: str = SessionAudit.Cause.USER,
) -> tuple[int, int]:
    """Delete sessions and their utterances with set-based statements; returns (sessions, utterances).

    Each leaves an audit row (who acted, why). `announce` tells each owner's open tabs (one
    session.deleted event per owner, whatever the number of sessions).
    """
    ids = list(session_ids)
    with transaction.atomic():
        states = list(Session.objects.filter(id__in=ids).values_list("id", "user_id", "context_epoch", "last_seq"))
        sessions_audit(
            action=SessionAudit.Action.PURGE,
            cause=cause,
            actor_id=actor_id,
            sessions=[(owner_id, session_id) for session_id, owner_id, _, _ in states],
        )
        after_commit(context.context_windows_forget, states=[(uid, sid, epoch, seq) for sid, uid, epoch, seq in states])
        if announce:
            live.publish_after_commit(
                [
                    (live.user_group(uid), events.session_deleted(session_ids=sids))
                    for uid, sids in ids_by_owner((uid, sid) for sid, uid, _, _ in states).items()
                ]
            )
        # ignore_conflicts: an owner may bring a purged id back (session_id_check_unretired) and purge it again.
        RetiredSessionId.objects.bulk_create(
            [RetiredSessionId(session_id=sid, owner_id=uid) for sid, uid, _, _ in states], ignore_conflicts=True
        )
        utterances, _ = Utterance.objects.filter(session_id__in=ids).delete()
        sessions, _ = Session.objects.filter(id__in=ids).delete()
    return sessions, utterances


@transaction.atomic
def sessions_end(*, session_ids: Iterable[uuid.UUID]) -> int:
    """Mark open sessions ended (staff clean-up); returns how many were open. Their owners' tabs
    hear of it, one event per owner."""
    ended_at = timezone.now()
    ending = list(
        Session.objects.select_for_update()
        .filter(id__in=list(session_ids), ended_at__isnull=True)
        .values_list("user_id", "id")
    )
    Session.objects.filter(id__in=[session_id for _, session_id in ending]).update(ended_at=ended_at)
    announce_ended(ending, ended_at=ended_at)
    return len(ending)

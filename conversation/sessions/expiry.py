"""Retention: the sessions due to move to the trash, the trash due to go for good, and the batches
that move them (manage.py expire_sessions)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.models import RETENTION_CHOICES, User
from accounts.selectors import retention_days_effective
from chatproject import live
from conversation import events
from conversation.models import RETAINED, TRASH, Session, SessionAudit, Utterance
from conversation.sessions.announce import ids_by_owner
from conversation.sessions.lifecycle import sessions_audit, sessions_delete


def sessions_retention_due(*, now: datetime, cap: int | None, user: User | None = None) -> QuerySet[Session]:
    """Sessions inactive (and not restored from the trash) for longer than their owner's retention
    (capped at `cap` days when given), pinned ones and the trash aside. One condition per retention
    choice, all bounded by the latest cutoff, so that the scan of session_retention_idx stops there."""
    rules = []
    for chosen in (*RETENTION_CHOICES, None):
        days = retention_days_effective(chosen=chosen, cap=cap)
        if days is not None:
            owner = Q(user__retention_days=chosen) if chosen is not None else Q(user__retention_days__isnull=True)
            rules.append((owner, now - timedelta(days=days)))
    if not rules:
        return Session.objects.none()
    condition = Q()
    for owner, cutoff in rules:
        idle = Q(last_activity_at__lt=cutoff) & (Q(restored_at__isnull=True) | Q(restored_at__lt=cutoff))
        condition |= owner & idle
    sessions = Session.objects.filter(RETAINED, last_activity_at__lt=max(cutoff for _, cutoff in rules)).filter(
        condition
    )
    return sessions if user is None else sessions.filter(user=user)


def sessions_retention_due_count(*, now: datetime, cap: int | None, user: User | None = None) -> tuple[int, int]:
    """What expire_sessions' retention would move to the trash: (sessions, utterances), two counts."""
    sessions = sessions_retention_due(now=now, cap=cap, user=user)
    return sessions.count(), Utterance.objects.filter(session__in=sessions.values("id")).count()


def trash_due_count(*, cutoff: datetime, user: User | None = None) -> tuple[int, int]:
    """Sessions moved to the trash before `cutoff` and their utterances: (sessions, utterances)."""
    sessions = Session.objects.filter(TRASH, deleted_at__lt=cutoff)
    if user is not None:
        sessions = sessions.filter(user=user)
    return sessions.count(), Utterance.objects.filter(session__in=sessions.values("id")).count()


def sessions_retire_batch(
    *, now: datetime, cap: int | None, user: User | None = None, batch_size: int
) -> tuple[int, int]:
    """Move to the trash up to `batch_size` sessions inactive for longer than their owner's
    retention (capped at `cap` days), pinned ones exempt, in one short transaction; returns
    (sessions, utterances) moved.

    The rows are locked with FOR UPDATE SKIP LOCKED, and PostgreSQL checks the condition again on a
    row that changed meanwhile, so a session a user is writing to right now, or that became active
    since, is left alone. Each owner's open tabs are told in one sessions.expired event (a tab left
    open for days still lists such a session). Each move leaves an audit row (expiry).
    """
    with transaction.atomic():
        due = sessions_retention_due(now=now, cap=cap, user=user)
        sessions = list(
            due.order_by("last_activity_at")
            .select_for_update(skip_locked=True, of=("self",))
            .only("id", "user_id")[:batch_size]
        )
        if not sessions:
            return 0, 0
        Session.objects.filter(id__in=[session.pk for session in sessions]).update(deleted_at=now)
        live.publish_after_commit(
            [
                (
                    live.user_group(user_id),
                    events.sessions_expired(session_ids=ids, deleted_at=now),
                )
                for user_id, ids in ids_by_owner((session.user_id, session.pk) for session in sessions).items()
            ]
        )
        utterances = sessions_audit(
            action=SessionAudit.Action.TRASH,
            cause=SessionAudit.Cause.EXPIRY,
            actor_id=None,
            sessions=[(session.user_id, session.pk) for session in sessions],
        )
    return len(sessions), utterances


def trash_purge_batch(*, cutoff: datetime, user: User | None = None, batch_size: int) -> tuple[int, int]:
    """Remove for good up to `batch_size` sessions moved to the trash before `cutoff`, in one short
    transaction (as sessions_retire_batch, on session_trash_age_idx). Returns (sessions, utterances)."""
    candidates = Session.objects.filter(TRASH, deleted_at__lt=cutoff)
    return _sessions_delete_batch(candidates, user=user, order_by="deleted_at", batch_size=batch_size)


def _sessions_delete_batch(candidates, *, user: User | None, order_by: str, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        if user is not None:
            candidates = candidates.filter(user=user)
        ids = list(
            candidates.order_by(order_by).select_for_update(skip_locked=True).values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return 0, 0
        return sessions_delete(session_ids=ids, cause=SessionAudit.Cause.EXPIRY)

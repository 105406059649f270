"""One action over many of a user's sessions (the lists' selection), and the trash emptied."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from conversation.models import TRASH, Session, SessionAudit
from conversation.sessions.announce import announce_moved
from conversation.sessions.lifecycle import sessions_delete, sessions_mark_trashed
from conversation.sessions.lookup import session_id_parse

BULK_ACTIONS = ("trash", "restore", "archive", "unarchive", "pin", "unpin", "purge")


# What each action sets, on the sessions where it is not so already (a first time is kept).
_BULK_CHANGES = {
    "trash": ("deleted_at", True),
    "restore": ("deleted_at", False),
    "archive": ("archived_at", True),
    "unarchive": ("archived_at", False),
    "pin": ("pinned_at", True),
    "unpin": ("pinned_at", False),
}


@dataclass(frozen=True)
class BulkResult:
    done: int  # the user's sessions the action applied to (those already so included)
    not_found: list[str]  # the ids given that name none of them (another user's, malformed, missing)


@transaction.atomic
def sessions_bulk(*, user: User, session_ids: Sequence[str], action: str) -> BulkResult:
    """Apply one of BULK_ACTIONS to many of the user's sessions, all in one transaction. Sessions in
    the trash are found only by restore and purge, as by every other door."""
    parsed: dict[str, uuid.UUID] = {}
    not_found: list[str] = []
    for raw in dict.fromkeys(str(session_id) for session_id in session_ids):
        try:
            parsed[raw] = session_id_parse(raw)
        except Session.DoesNotExist:
            not_found.append(raw)
    sessions = Session.objects.filter(user=user, id__in=list(parsed.values()))
    if action not in ("restore", "purge"):
        sessions = sessions.filter(deleted_at__isnull=True)
    # Locked in id order, so that two bulk calls over the same sessions queue instead of deadlocking.
    found = {session.pk: session for session in sessions.select_for_update(of=("self",)).order_by("id")}
    not_found += [raw for raw, session_id in parsed.items() if session_id not in found]
    if action == "purge":
        sessions_delete(session_ids=list(found), actor_id=user.pk)
        return BulkResult(done=len(found), not_found=not_found)
    field, wanted = _BULK_CHANGES[action]
    changed = [session for session in found.values() if (getattr(session, field) is not None) != wanted]
    if field == "deleted_at":
        sessions_mark_trashed(changed, trashed=wanted, actor_id=user.pk, cause=SessionAudit.Cause.USER)
        return BulkResult(done=len(found), not_found=not_found)
    value = timezone.now() if wanted else None
    Session.objects.filter(id__in=[session.pk for session in changed]).update(**{field: value})
    for session in changed:
        setattr(session, field, value)
    announce_moved(changed)
    return BulkResult(done=len(found), not_found=not_found)


def trash_empty(*, user: User, batch_size: int = 1000) -> tuple[int, int]:
    """Remove every session in the user's trash for good, in batches of one short transaction
    each; returns (sessions, utterances)."""
    sessions = utterances = 0
    while True:
        with transaction.atomic():
            ids = list(
                Session.objects.filter(TRASH, user=user)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return sessions, utterances
            deleted = sessions_delete(session_ids=ids, actor_id=user.pk)
        sessions, utterances = sessions + deleted[0], utterances + deleted[1]

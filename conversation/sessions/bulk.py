"""One action over many of a user's sessions (the lists' selection), and the trash emptied."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from conversation.folders.selectors import folder_get_for_user
from conversation.models import TRASH, Session, SessionAudit
from conversation.sessions.announce import announce_moved
from conversation.sessions.lifecycle import sessions_delete, sessions_mark_trashed
from conversation.sessions.lookup import session_id_parse
from conversation.tags.names import tag_key, tag_names_clean
from conversation.tags.services import sessions_tag, sessions_untag

BULK_ACTIONS = ("trash", "restore", "archive", "unarchive", "pin", "unpin", "purge", "move", "tag", "untag")

# The action that takes each one back, on the sessions it changed (purge has none).
_UNDO = {
    "trash": "restore",
    "restore": "trash",
    "archive": "unarchive",
    "unarchive": "archive",
    "pin": "unpin",
    "unpin": "pin",
    "tag": "untag",
    "untag": "tag",
}


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
    changed: list[str] = field(default_factory=list)  # those the action changed (not already so)
    # The bulk calls that take exactly this one back, each {"action", "ids"[, "folder" | "tags"]}:
    # a move's one per previous folder, a tag's one per name, on only the sessions it changed.
    undo: list[dict] = field(default_factory=list)


@transaction.atomic
def sessions_bulk(
    *,
    user: User,
    session_ids: Sequence[str],
    action: str,
    folder: str | None = None,
    tags: Sequence[str] = (),
) -> BulkResult:
    """Apply one of BULK_ACTIONS to many of the user's sessions, all in one transaction. Sessions in
    the trash are found only by restore and purge, as by every other door. `folder` (an id, None for
    none) is move's; `tags` (names) are tag's and untag's. Answers what to send to undo it."""
    parsed: dict[str, uuid.UUID] = {}
    not_found: list[str] = []
    for raw in dict.fromkeys(str(session_id) for session_id in session_ids):
        try:
            parsed[raw] = session_id_parse(raw)
        except Session.DoesNotExist:
            not_found.append(raw)
    if action in ("move", "tag", "untag"):
        # The folder and tag services' order: the user's row, the folder, then the chats. Chats
        # locked first would deadlock with a tag rename or a folder removal over the same chats.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        if action == "move" and folder is not None:
            folder_get_for_user(user=user, folder_id=folder, for_update=True)
    sessions = Session.objects.filter(user=user, id__in=list(parsed.values()))
    if action not in ("restore", "purge"):
        sessions = sessions.filter(deleted_at__isnull=True)
    # Locked in id order, so that two bulk calls over the same sessions queue instead of deadlocking.
    found = {session.pk: session for session in sessions.select_for_update(of=("self",)).order_by("id")}
    not_found += [raw for raw, session_id in parsed.items() if session_id not in found]
    if action == "purge":
        sessions_delete(session_ids=list(found), actor_id=user.pk)
        return BulkResult(done=len(found), not_found=not_found)
    if action == "move":
        return _move(user=user, found=found, not_found=not_found, folder=folder)
    if action in ("tag", "untag"):
        return _tag(user=user, found=found, not_found=not_found, names=tags, adding=action == "tag")
    column, wanted = _BULK_CHANGES[action]
    changed = [session for session in found.values() if (getattr(session, column) is not None) != wanted]
    if column == "deleted_at":
        sessions_mark_trashed(changed, trashed=wanted, actor_id=user.pk, cause=SessionAudit.Cause.USER)
    else:
        value = timezone.now() if wanted else None
        Session.objects.filter(id__in=[session.pk for session in changed]).update(**{column: value})
        for session in changed:
            setattr(session, column, value)
        announce_moved(changed)
    ids = [str(session.pk) for session in changed]
    undo = [{"action": _UNDO[action], "ids": ids}] if ids else []
    return BulkResult(done=len(found), not_found=not_found, changed=ids, undo=undo)


def _move(*, user: User, found: dict[uuid.UUID, Session], not_found: list[str], folder: str | None) -> BulkResult:
    target = str(folder) if folder is not None else None
    changed = [s for s in found.values() if (str(s.folder_id) if s.folder_id else None) != target]
    # Imported here: conversation.folders.services imports this module (BulkResult). Called even with
    # nothing to change, so that another user's folder is a DoesNotExist whatever the ids.
    from conversation.folders.services import sessions_move_to_folder

    sessions_move_to_folder(user=user, session_ids=[s.pk for s in changed], folder_id=folder)
    back: dict[str | None, list[str]] = {}
    for session in changed:
        back.setdefault(str(session.folder_id) if session.folder_id else None, []).append(str(session.pk))
    undo = [{"action": "move", "folder": previous, "ids": ids} for previous, ids in back.items()]
    return BulkResult(
        done=len(found), not_found=not_found, changed=[s for ids in back.values() for s in ids], undo=undo
    )


def _tag(
    *, user: User, found: dict[uuid.UUID, Session], not_found: list[str], names: Sequence[str], adding: bool
) -> BulkResult:
    """Tag or untag; the undo names, for each tag, only the sessions whose tags it changed."""
    wanted = tag_names_clean(names)
    by_name: dict[str, list[str]] = {}
    for name in wanted:
        for session in found.values():
            has = any(tag_key(existing) == tag_key(name) for existing in session.tag_names)
            if has != adding:
                by_name.setdefault(name, []).append(str(session.pk))
    if found:
        write = sessions_tag if adding else sessions_untag
        write(user=user, session_ids=list(found), names=wanted)
    undo = [
        {"action": _UNDO["tag" if adding else "untag"], "tags": [name], "ids": ids} for name, ids in by_name.items()
    ]
    changed = list(dict.fromkeys(session_id for ids in by_name.values() for session_id in ids))
    return BulkResult(done=len(found), not_found=not_found, changed=changed, undo=undo)


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

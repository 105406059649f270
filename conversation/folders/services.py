"""Writing a user's folders and moving chats into them. Each service runs in one transaction, takes
the acting user explicitly and treats another user's folder or session like a missing one. A user's
folder writes queue on the user's row, so that MAX_FOLDERS, the depth limit and the tree's shape
are checked against what is committed. Every tab hears the new tree (folders.changed) after the commit."""

import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower

from accounts.models import User
from chatproject import live
from conversation import events
from conversation.folders.selectors import (
    folder_get_for_user,
    folder_list_for_user,
    folder_subtree_ids,
)
from conversation.models import Folder, Persona, Session, SessionAudit
from conversation.sessions.announce import announce_moved
from conversation.sessions.bulk import BulkResult
from conversation.sessions.lifecycle import sessions_mark_trashed
from conversation.sessions.lookup import session_id_parse
from conversation.sessions.personas import persona_resolve

UNSET: Any = object()

FOLDER_DELETE_CHATS = ("move_out", "trash")

# The bidirectional embeddings, overrides and isolates: a name with them reads other than it is.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def folder_name_check(name: Any) -> str:
    if not isinstance(name, str):
        raise ValidationError({"name": "A folder's name must be text."})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A folder needs a name."})
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in DIRECTION_CONTROLS for c in name):
        raise ValidationError({"name": "A folder's name is one line, without control or text-direction characters."})
    limit = Folder._meta.get_field("name").max_length
    if len(name) > limit:
        raise ValidationError({"name": f"A folder's name is at most {limit} characters."})
    return name


def _persona_check(persona: Persona | str | None) -> Persona | None:
    """A folder's default persona: none, or one resolved by slug."""
    if persona is None or persona == "":
        return None
    return persona_resolve(persona=persona)


def _instructions_check(instructions: Any) -> str:
    if not isinstance(instructions, str):
        raise ValidationError({"instructions": "Instructions must be text."})
    instructions = instructions.strip()
    if len(instructions) > settings.MAX_FOLDER_INSTRUCTIONS_CHARS:
        raise ValidationError(
            {"instructions": f"Instructions are at most {settings.MAX_FOLDER_INSTRUCTIONS_CHARS} characters."}
        )
    return instructions


def _lock_user_folders(user: User) -> None:
    """Queue this user's folder writes one after another (their rows may not exist yet: lock the user's)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _name_check_unique(*, user: User, parent_id: uuid.UUID | None, name: str, exclude: uuid.UUID | None = None) -> None:
    siblings = Folder.objects.filter(user=user, parent_id=parent_id).annotate(lname=Lower("name"))
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.filter(lname=name.lower()).exists():
        raise ValidationError({"name": f"There is already a folder named {name!r} here."})


def _save(folder: Folder, **kwargs) -> None:
    """Save; the sibling-name constraint broken meanwhile is a clear 400, not a 500."""
    try:
        with transaction.atomic():
            folder.save(**kwargs)
    except IntegrityError:
        raise ValidationError({"name": f"There is already a folder named {folder.name!r} here."}) from None


def _announce(user: User) -> None:
    folders = folder_list_for_user(user=user)
    live.publish_after_commit([(live.user_group(user.pk), events.folders_changed(folders=folders))])


@transaction.atomic
def folder_create(
    *,
    user: User,
    name: str,
    parent_id: uuid.UUID | str | None = None,
    persona: Persona | str | None = None,
    instructions: str = "",
) -> Folder:
    """A new folder, at the top or under `parent_id` (at most settings.MAX_FOLDER_DEPTH levels deep)."""
    _lock_user_folders(user)
    name = folder_name_check(name)
    parent = folder_get_for_user(user=user, folder_id=parent_id) if parent_id is not None else None
    depth = parent.depth + 1 if parent else 1
    if depth > settings.MAX_FOLDER_DEPTH:
        raise ValidationError({"parent": f"Folders nest at most {settings.MAX_FOLDER_DEPTH} levels deep."})
    if Folder.objects.filter(user=user).count() >= settings.MAX_FOLDERS:
        raise ValidationError({"name": f"You have {settings.MAX_FOLDERS} folders, the most there can be."})
    _name_check_unique(user=user, parent_id=parent.pk if parent else None, name=name)
    folder = Folder(
        user=user,
        parent=parent,
        name=name,
        depth=depth,
        persona=_persona_check(persona),
        instructions=_instructions_check(instructions),
    )
    _save(folder, force_insert=True)
    _announce(user)
    return folder


@transaction.atomic
def folder_update(
    *,
    user: User,
    folder_id: uuid.UUID | str,
    name: Any = UNSET,
    parent_id: Any = UNSET,
    persona: Any = UNSET,
    instructions: Any = UNSET,
) -> Folder:
    """Change what is given: rename, move (under another folder, or to the top with parent_id=None:
    the whole subtree goes along, within the depth limit, never under itself), defaults."""
    _lock_user_folders(user)
    folder = folder_get_for_user(user=user, folder_id=folder_id, for_update=True)
    fields = []
    if name is not UNSET:
        folder.name = folder_name_check(name)
        fields.append("name")
    if parent_id is not UNSET:
        fields += _folder_move(user=user, folder=folder, parent_id=parent_id)
    if "name" in fields or "parent" in fields:
        _name_check_unique(user=user, parent_id=folder.parent_id, name=folder.name, exclude=folder.pk)
    if persona is not UNSET:
        folder.persona = _persona_check(persona)
        fields.append("persona")
    if instructions is not UNSET:
        folder.instructions = _instructions_check(instructions)
        fields.append("instructions")
    if fields:
        _save(folder, update_fields=fields)
        _announce(user)
    return folder


def _folder_move(*, user: User, folder: Folder, parent_id: uuid.UUID | str | None) -> list[str]:
    """Put `folder` (not saved) under another parent, its subfolders' depths updated; the fields changed."""
    parent = folder_get_for_user(user=user, folder_id=parent_id) if parent_id is not None else None
    if (parent.pk if parent else None) == folder.parent_id:
        return []
    folders = list(Folder.objects.filter(user=user).only("id", "parent_id", "depth"))
    subtree = folder_subtree_ids(folders=folders, root_id=folder.pk)
    if parent is not None and parent.pk in subtree:
        raise ValidationError({"parent": "A folder cannot go inside itself or one of its own subfolders."})
    depth = parent.depth + 1 if parent else 1
    deepest = max(f.depth for f in folders if f.pk in set(subtree))
    if depth + deepest - folder.depth > settings.MAX_FOLDER_DEPTH:
        raise ValidationError(
            {"parent": f"There it would be more than {settings.MAX_FOLDER_DEPTH} levels deep, with its subfolders."}
        )
    shift = depth - folder.depth
    if shift:
        Folder.objects.filter(pk__in=[pk for pk in subtree if pk != folder.pk]).update(depth=F("depth") + shift)
    folder.parent, folder.depth = parent, depth
    return ["parent", "depth"]


@transaction.atomic
def folder_delete(*, user: User, folder_id: uuid.UUID | str, chats: str = "move_out") -> list[str]:
    """Remove a folder and its subfolders. Their chats: "move_out" (into no folder) or "trash"
    (moved to the trash, as one bulk trash: undoable by restoring them). Returns the ids of the
    chats trashed ([] for move_out)."""
    if chats not in FOLDER_DELETE_CHATS:
        raise ValidationError({"chats": "Say what becomes of its chats: move_out or trash."})
    _lock_user_folders(user)
    folder = folder_get_for_user(user=user, folder_id=folder_id)
    folders = list(Folder.objects.filter(user=user).only("id", "parent_id"))
    subtree = folder_subtree_ids(folders=folders, root_id=folder.pk)
    # The folders before their chats, as sessions_move_to_folder and session_update lock them: a move
    # into one of them meanwhile waits for the removal instead of deadlocking with it.
    list(Folder.objects.filter(pk__in=subtree).select_for_update().order_by("id").values_list("id", flat=True))
    # Locked in id order, as every many-session write does (sessions/bulk.py).
    sessions = list(
        Session.objects.filter(user=user, folder_id__in=subtree).select_for_update(of=("self",)).order_by("id")
    )
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(folder=None)
    for session in sessions:
        session.folder_id = None
    live_ones = [s for s in sessions if s.deleted_at is None]
    trashed: list[str] = []
    if chats == "trash":
        sessions_mark_trashed(live_ones, trashed=True, actor_id=user.pk, cause=SessionAudit.Cause.USER)
        trashed = [str(s.pk) for s in live_ones]
    else:
        announce_moved(live_ones)
    Folder.objects.filter(pk__in=subtree).delete()
    _announce(user)
    return trashed


@transaction.atomic
def sessions_move_to_folder(
    *, user: User, session_ids: Sequence[str | uuid.UUID], folder_id: uuid.UUID | str | None
) -> BulkResult:
    """Put the user's sessions (out of the trash) in one folder, or in none (folder_id None), in one
    transaction. Another user's folder is Folder.DoesNotExist; another user's, missing or malformed
    session ids come back in `not_found`, nothing done to them."""
    folder = folder_get_for_user(user=user, folder_id=folder_id, for_update=True) if folder_id is not None else None
    target = folder.pk if folder else None
    parsed: dict[str, uuid.UUID] = {}
    not_found: list[str] = []
    for raw in dict.fromkeys(str(session_id) for session_id in session_ids):
        try:
            parsed[raw] = session_id_parse(raw)
        except Session.DoesNotExist:
            not_found.append(raw)
    found = {
        session.pk: session
        for session in Session.objects.filter(user=user, id__in=list(parsed.values()), deleted_at__isnull=True)
        .select_for_update(of=("self",))
        .order_by("id")
    }
    not_found += [raw for raw, session_id in parsed.items() if session_id not in found]
    changed = [session for session in found.values() if session.folder_id != target]
    Session.objects.filter(pk__in=[session.pk for session in changed]).update(folder=target)
    for session in changed:
        session.folder_id = target
    announce_moved(changed)
    return BulkResult(done=len(found), not_found=not_found)

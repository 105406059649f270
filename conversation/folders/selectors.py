"""Reading a user's folders: the whole tree (bounded by settings.MAX_FOLDERS), one folder, and the
nearest instructions for a chat's replies. Another user's folder is Folder.DoesNotExist."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import User
from conversation.models import Folder


def folder_id_parse(folder_id: uuid.UUID | str) -> uuid.UUID:
    """A folder id as a UUID; a malformed one is "not found", like a missing folder."""
    if isinstance(folder_id, uuid.UUID):
        return folder_id
    try:
        return uuid.UUID(str(folder_id))
    except ValueError:
        raise Folder.DoesNotExist("No such folder.") from None


def folder_get_for_user(*, user: User, folder_id: uuid.UUID | str, for_update: bool = False) -> Folder:
    """The user's folder, with its persona; another user's and a malformed id are Folder.DoesNotExist."""
    queryset = Folder.objects.filter(user=user).select_related("persona")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=folder_id_parse(folder_id))


def folder_list_for_user(*, user: User) -> list[Folder]:
    """All of the user's folders (at most settings.MAX_FOLDERS), in the tree's order: each folder
    followed by its subfolders, siblings by name in any case. One query."""
    folders = list(
        Folder.objects.filter(user=user).select_related("persona").order_by(Lower("name"), "id")[: settings.MAX_FOLDERS]
    )
    children: dict[uuid.UUID | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    ordered: list[Folder] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        folder = stack.pop()
        ordered.append(folder)
        stack.extend(reversed(children.get(folder.pk, [])))
    return ordered


def folder_subtree_ids(*, folders: list[Folder], root_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of a folder and of all the folders under it, among `folders` (a user's)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder.pk)
    found, stack = [], [root_id]
    while stack:
        folder_id = stack.pop()
        found.append(folder_id)
        stack.extend(children.get(folder_id, []))
    return found


def folder_instructions_for_session(*, folder_id: uuid.UUID | None) -> str:
    """The instructions a chat's replies take from its folder: the chat's own folder's only (a
    subfolder does not inherit its parent's; docs/folders.md). "" for a chat in no folder."""
    if folder_id is None:
        return ""
    return Folder.objects.filter(pk=folder_id).values_list("instructions", flat=True).first() or ""


def folder_for_new_session(*, user: User, folder_id: uuid.UUID | str | None, for_update: bool = False) -> Folder | None:
    """The folder a chat starts in or is moved to (session_create's, session_update's), with its
    persona; None for none. `for_update` locks it, before the session (as the folder services do)."""
    if folder_id is None or folder_id == "":
        return None
    return folder_get_for_user(user=user, folder_id=folder_id, for_update=for_update)


@dataclass(frozen=True)
class FolderNode:
    folder: Folder
    children: list["FolderNode"]


def folder_tree_for_user(*, user: User) -> list[FolderNode]:
    """folder_list_for_user's folders nested: the top folders, each with its subfolders. One query."""
    nodes: dict[uuid.UUID, FolderNode] = {}
    top: list[FolderNode] = []
    for folder in folder_list_for_user(user=user):  # each parent before its children
        node = nodes[folder.pk] = FolderNode(folder=folder, children=[])
        (nodes[folder.parent_id].children if folder.parent_id in nodes else top).append(node)
    return top

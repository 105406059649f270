"""Our own export's folders brought back: each found again in the account by its place (its parent
and its name, in any case, as the folders' uniqueness compares them) or made there, parents first,
so that a second import of the same export makes no folder twice."""

import uuid

from django.core.exceptions import ValidationError

from accounts.models import User
from conversation.folders.selectors import folder_list_for_user
from conversation.folders.services import folder_create
from imports.source import SourceFolder


def folders_restore(*, user: User, folders: list[SourceFolder]) -> dict[str, uuid.UUID]:
    """{the export's folder id: the account's folder}. A folder the account cannot take (past
    MAX_FOLDERS or the depth limit, a name refused) is left out with its subfolders: their chats come
    in outside any folder. A default persona this server lacks is left out, the folder kept."""
    here = {(folder.parent_id, folder.name.lower()): folder.pk for folder in folder_list_for_user(user=user)}
    placed: dict[str, uuid.UUID] = {}
    for folder in folders:
        if folder.parent_id is not None and folder.parent_id not in placed:
            continue
        parent = placed.get(folder.parent_id) if folder.parent_id is not None else None
        place = (parent, folder.name.strip().lower())
        if place not in here:
            made = _folder_make(user=user, folder=folder, parent=parent)
            if made is None:
                continue
            here[place] = made
        placed[folder.id] = here[place]
    return placed


def _folder_make(*, user: User, folder: SourceFolder, parent: uuid.UUID | None) -> uuid.UUID | None:
    for persona in dict.fromkeys([folder.persona or None, None]):
        try:
            return folder_create(
                user=user, name=folder.name, parent_id=parent, persona=persona, instructions=folder.instructions
            ).pk
        except ValidationError as exc:
            if "persona" not in getattr(exc, "error_dict", {}):
                return None
    return None

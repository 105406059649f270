"""The whole-account zip: one JSON and one Markdown file per session plus `manifest.json`, written
session by session and page by page, so memory stays flat whatever the account holds; the folders'
tree (`folders.json`), the tags (`tags.json`) and the shared links (`shares.json`, docs/sharing.md),
bounded by MAX_FOLDERS, MAX_TAGS and MAX_SHARES, whole."""

import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO

from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from chatproject.timestamps import iso_datetimes
from conversation.exports import export_basename, session_chunks
from conversation.models import Folder, Session, Tag
from sharing import shapes as sharing_shapes
from sharing.selectors import share_list_for_user

SESSIONS_PER_QUERY = 500


def account_sessions(*, user: User) -> Iterator[Session]:
    """Every session of the user, the trash included, oldest first, a page per query (keyset on
    created_at, id)."""
    sessions = Session.objects.filter(user=user).select_related("persona").order_by("created_at", "id")
    page = list(sessions[:SESSIONS_PER_QUERY])
    while page:
        yield from page
        last = page[-1]
        after = Q(created_at__gt=last.created_at) | Q(created_at=last.created_at, id__gt=last.id)
        page = list(sessions.filter(after)[:SESSIONS_PER_QUERY])


def account_folders(*, user: User) -> list[dict]:
    """The user's folders, parents first, each with its path of names from the top (what an import
    finds them again by) and its defaults for new chats."""
    folders = list(Folder.objects.filter(user=user).select_related("persona").order_by("depth", Lower("name"), "id"))
    paths: dict = {}
    rows = []
    for folder in folders:
        paths[folder.pk] = [*paths.get(folder.parent_id, []), folder.name]
        rows.append(
            {
                "id": str(folder.pk),
                "name": folder.name,
                "parent": str(folder.parent_id) if folder.parent_id else None,
                "path": paths[folder.pk],
                "persona": folder.persona.slug if folder.persona else None,
                "instructions": folder.instructions,
                "created_at": folder.created_at,
            }
        )
    return rows


def account_archive_write(
    *, user: User, out: BinaryIO, exported_at: datetime, progress: Callable[[int, int], None]
) -> tuple[int, int]:
    """Write the user's zip to `out`; `progress(sessions, utterances)` after each session. Returns
    (sessions, utterances) written."""
    sessions = utterances = 0
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        tempfile.TemporaryFile("w+", encoding="utf-8") as manifest_rows,
    ):
        archive.writestr("folders.json", _dumps({"folders": account_folders(user=user)}))
        tags = Tag.objects.filter(user=user).order_by(Lower("name"), "id").values_list("name", flat=True)
        archive.writestr("tags.json", _dumps({"tags": list(tags)}))
        shares = [sharing_shapes.share(share) for share in share_list_for_user(user=user)]
        archive.writestr("shares.json", _dumps({"shares": shares}))
        for session in account_sessions(user=user):
            base = f"sessions/{export_basename(session=session, unique=True)}"
            for export_format, extension in (("json", "json"), ("markdown", "md")):
                with archive.open(f"{base}.{extension}", "w", force_zip64=True) as entry:
                    for chunk in session_chunks(session=session, export_format=export_format, all_branches=True):
                        entry.write(chunk.encode())
            manifest_rows.write(
                _dumps(
                    {
                        "id": str(session.pk),
                        "title": session.display_title,
                        "created_at": session.created_at,
                        "last_activity_at": session.last_activity_at,
                        "pinned_at": session.pinned_at,
                        "archived_at": session.archived_at,
                        "deleted_at": session.deleted_at,
                        "folder": str(session.folder_id) if session.folder_id else None,
                        "tags": session.tag_names,
                        "messages": session.message_count,
                        "json": f"{base}.json",
                        "markdown": f"{base}.md",
                    }
                )
                + "\n"
            )
            sessions, utterances = sessions + 1, utterances + session.message_count
            progress(sessions, utterances)
        manifest_rows.seek(0)
        with archive.open("manifest.json", "w") as manifest:
            head = {
                "format": "chat-account-export",
                "version": 1,
                "exported_at": exported_at,
                "account": user.email,
                "folders": "folders.json",
                "tags": "tags.json",
                "shares": "shares.json",
            }
            manifest.write((_dumps(head)[:-1] + ', "sessions": [').encode())
            separator = ""
            for row in manifest_rows:
                manifest.write((separator + row.rstrip("\n")).encode())
                separator = ", "
            manifest.write(("], " + _dumps({"counts": {"sessions": sessions, "utterances": utterances}})[1:]).encode())
    return sessions, utterances


def _dumps(value) -> str:
    return json.dumps(iso_datetimes(value), ensure_ascii=False)

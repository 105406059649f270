"""Folders and tags in the account export and back through its import: the same tree, the same tags,
each chat in its place, and a second import making nothing twice."""

import io
import json
import zipfile

from conversation.folders.services import folder_create, folder_delete, sessions_move_to_folder
from conversation.models import Folder, Session, Tag
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from conversation.tags.services import sessions_tag
from imports import services
from tests.factories import PersonaFactory
from tests.helpers import say
from tests.imports.exports import account_export


def tree(user) -> set:
    """Each folder as (path of names, persona's slug, instructions)."""
    folders = {folder.pk: folder for folder in Folder.objects.filter(user=user).select_related("persona")}

    def path(folder):
        return (*path(folders[folder.parent_id]), folder.name) if folder.parent_id else (folder.name,)

    return {(path(f), f.persona.slug if f.persona else None, f.instructions) for f in folders.values()}


def placements(user) -> dict:
    """Each chat's title: (its folder's path, its tags)."""
    folders = {folder.pk: folder for folder in Folder.objects.filter(user=user)}

    def path(folder_id):
        folder = folders[folder_id]
        return (*path(folder.parent_id), folder.name) if folder.parent_id else (folder.name,)

    return {
        s.title: (path(s.folder_id) if s.folder_id else None, s.tag_names) for s in Session.objects.filter(user=user)
    }


def an_organized_account(owner):
    work = folder_create(user=owner, name="Work", persona=PersonaFactory(), instructions="Be brief.")
    clients = folder_create(user=owner, name="Clients", parent_id=work.pk)
    acme = folder_create(user=owner, name="Acme", parent_id=clients.pk)
    folder_create(user=owner, name="Empty")
    chats = {title: session_create(user=owner, title=title) for title in ("Invoice", "Plan", "Loose", "Recipe")}
    for chat in chats.values():
        say(owner, chat, f"About {chat.title}")
    sessions_move_to_folder(user=owner, session_ids=[chats["Invoice"].pk], folder_id=acme.pk)
    sessions_move_to_folder(user=owner, session_ids=[chats["Plan"].pk], folder_id=work.pk)
    sessions_tag(user=owner, session_ids=[chats["Invoice"].pk, chats["Plan"].pk], names=["Urgent", "q3"])
    sessions_tag(user=owner, session_ids=[chats["Recipe"].pk], names=["food"])
    sessions_move_to_folder(user=owner, session_ids=[chats["Recipe"].pk], folder_id=work.pk)
    session_trash(user=owner, session_id=chats["Recipe"].pk)  # in the trash, in its folder, with its tag


def test_the_export_holds_the_folders_tree_the_tags_and_each_chats_place(owner):
    an_organized_account(owner)
    archive = zipfile.ZipFile(io.BytesIO(account_export(owner)))
    folders = json.loads(archive.read("folders.json"))["folders"]
    assert sorted(tuple(f["path"]) for f in folders) == [
        ("Empty",),
        ("Work",),
        ("Work", "Clients"),
        ("Work", "Clients", "Acme"),
    ]
    assert json.loads(archive.read("tags.json")) == {"tags": ["food", "q3", "Urgent"]}
    manifest = json.loads(archive.read("manifest.json"))
    by_title = {row["title"]: row for row in manifest["sessions"]}
    acme = next(f["id"] for f in folders if f["name"] == "Acme")
    assert (by_title["Invoice"]["folder"], by_title["Invoice"]["tags"]) == (acme, ["q3", "Urgent"])
    assert (by_title["Loose"]["folder"], by_title["Loose"]["tags"]) == (None, [])
    session_json = json.loads(archive.read(by_title["Invoice"]["json"]))["session"]
    assert (session_json["folder"], session_json["tags"]) == (acme, ["q3", "Urgent"])


def test_an_export_imported_into_a_fresh_account_gives_the_same_folders_tags_and_places(owner, outsider, import_file):
    an_organized_account(owner)
    data = account_export(owner)

    job = import_file(outsider, data, name="chat-export.zip")

    assert (job.imported, job.failed) == (4, 0)
    assert tree(outsider) == tree(owner)
    assert placements(outsider) == placements(owner)
    assert set(Tag.objects.filter(user=outsider).values_list("name", flat=True)) == {"Urgent", "q3", "food"}
    assert Session.objects.get(user=outsider, title="Recipe").deleted_at is not None

    again = import_file(outsider, data, name="chat-export.zip")

    assert (again.imported, again.present) == (0, 4)
    assert Folder.objects.filter(user=outsider).count() == 4
    assert Tag.objects.filter(user=outsider).count() == 3
    assert Session.objects.filter(user=outsider).count() == 4
    assert placements(outsider) == placements(owner)


def test_a_folder_the_account_has_already_in_any_case_is_the_one_its_chats_go_to(owner, outsider, import_file):
    an_organized_account(owner)
    mine = folder_create(user=outsider, name="WORK")

    import_file(outsider, account_export(owner), name="chat-export.zip")

    assert Folder.objects.filter(user=outsider, parent=None, name__iexact="work").get().pk == mine.pk
    assert Session.objects.get(user=outsider, title="Plan").folder_id == mine.pk
    assert placements(outsider)["Invoice"] == (("WORK", "Clients", "Acme"), ["q3", "Urgent"])


def with_folders_rewritten(data: bytes, change) -> bytes:
    """The export with each of folders.json's folders passed through change(folder)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            body = source.read(name)
            if name == "folders.json":
                body = json.dumps({"folders": [change(f) for f in json.loads(body)["folders"]]}).encode()
            archive.writestr(name, body)
    return out.getvalue()


def test_nul_characters_in_a_folders_name_defaults_or_persona_are_dropped_not_a_failed_import(
    owner, outsider, import_file
):
    an_organized_account(owner)
    data = with_folders_rewritten(
        account_export(owner),
        lambda f: f | {"name": f["name"] + "\x00", "instructions": "\x00" + f["instructions"], "persona": "\x00"},
    )

    job = import_file(outsider, data, name="chat-export.zip")

    assert (job.status, job.imported, job.failed) == ("done", 4, 0)
    assert {path for path, _, _ in tree(outsider)} == {path for path, _, _ in tree(owner)}
    assert placements(outsider) == placements(owner)


def test_tags_the_account_cannot_take_leave_the_chats_untagged_not_failed(owner, outsider, import_file, settings):
    an_organized_account(owner)
    sessions_tag(user=outsider, session_ids=[session_create(user=outsider).pk], names=["mine", "yours"])
    settings.MAX_TAGS = 3  # room for one of the export's three tags

    job = import_file(outsider, account_export(owner), name="chat-export.zip")

    assert (job.imported, job.failed) == (4, 0)
    assert Tag.objects.filter(user=outsider).count() <= 3
    assert {title for title, _ in placements(outsider).items()} >= {"Invoice", "Plan", "Loose", "Recipe"}
    assert placements(outsider)["Invoice"][0] == ("Work", "Clients", "Acme")
    assert placements(outsider)["Recipe"][1] == ["food"]  # the one that fit


def test_a_folder_removed_while_the_import_runs_leaves_its_chats_outside_any_folder(
    owner, outsider, import_file, monkeypatch
):
    an_organized_account(owner)
    restore = services.folders_restore

    def restore_then_remove(*, user, folders):
        placed = restore(user=user, folders=folders)
        # The user deletes a restored folder from the sidebar before its chats come in.
        folder_delete(user=user, folder_id=Folder.objects.get(user=user, name="Acme").pk)
        return placed

    monkeypatch.setattr(services, "folders_restore", restore_then_remove)

    job = import_file(outsider, account_export(owner), name="chat-export.zip")

    assert (job.status, job.imported, job.failed) == ("done", 4, 0)
    assert placements(outsider)["Invoice"] == (None, ["q3", "Urgent"])
    assert placements(outsider)["Plan"][0] == ("Work",)

"""/api/folders/ through HTTP: the tree, one folder, its changes and removal; another user's is a 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.folders.services import folder_create
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory


def test_it_creates_a_folder_and_a_subfolder(api):
    persona = PersonaFactory()
    top = api.post(
        "/api/folders/", {"name": " Work ", "persona": persona.slug, "instructions": "Be brief."}, format="json"
    )
    assert top.status_code == 201, top.json()
    assert {k: top.json()[k] for k in ("name", "parent", "depth", "persona", "instructions")} == {
        "name": "Work",
        "parent": None,
        "depth": 1,
        "persona": persona.slug,
        "instructions": "Be brief.",
    }
    sub = api.post("/api/folders/", {"name": "Clients", "parent": top.json()["id"]}, format="json")
    assert (sub.status_code, sub.json()["parent"], sub.json()["depth"]) == (201, top.json()["id"], 2)


def test_it_lists_the_tree(api, owner, outsider):
    a = folder_create(user=owner, name="a")
    folder_create(user=owner, name="a1", parent_id=a.pk)
    folder_create(user=outsider, name="theirs")
    response = api.get("/api/folders/")
    assert [(f["name"], f["depth"]) for f in response.json()["results"]] == [("a", 1), ("a1", 2)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 42}, "name"),
        ({"name": "ok", "persona": "no-such"}, "persona"),
        ({"name": "Work"}, "name"),  # taken, in another case
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, owner, body, field):
    folder_create(user=owner, name="WORK")
    response = api.post("/api/folders/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Folder.objects.filter(user=owner).count() == 1


def test_the_depth_limit_and_a_cycle_are_400s(api, owner, settings):
    settings.MAX_FOLDER_DEPTH = 2
    a = folder_create(user=owner, name="a")
    b = folder_create(user=owner, name="b", parent_id=a.pk)
    assert api.post("/api/folders/", {"name": "c", "parent": str(b.pk)}, format="json").status_code == 400
    response = api.patch(f"/api/folders/{a.pk}/", {"parent": str(b.pk)}, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["parent"])


def test_it_renames_moves_and_reads_a_folder(api, owner):
    a = folder_create(user=owner, name="a")
    b = folder_create(user=owner, name="b")
    response = api.patch(f"/api/folders/{b.pk}/", {"name": "bee", "parent": str(a.pk)}, format="json")
    assert (response.status_code, response.json()["depth"]) == (200, 2)
    assert api.get(f"/api/folders/{b.pk}/").json()["name"] == "bee"
    assert api.patch(f"/api/folders/{b.pk}/", {"parent": None}, format="json").json()["depth"] == 1


def test_another_users_folder_is_a_404_on_every_door(api, outsider, owner):
    theirs = folder_create(user=outsider, name="theirs")
    mine = session_create(user=owner)
    calls = [
        api.get(f"/api/folders/{theirs.pk}/"),
        api.patch(f"/api/folders/{theirs.pk}/", {"name": "x"}, format="json"),
        api.delete(f"/api/folders/{theirs.pk}/"),
        api.post("/api/folders/", {"name": "x", "parent": str(theirs.pk)}, format="json"),
        api.patch(f"/api/sessions/{mine.pk}/", {"folder": str(theirs.pk)}, format="json"),
        api.get(f"/api/sessions/?folder={theirs.pk}"),
        api.get("/api/folders/not-a-uuid/"),
    ]
    assert [call.status_code for call in calls] == [404] * len(calls)
    assert Folder.objects.get(pk=theirs.pk).name == "theirs"


def test_delete_moves_the_chats_out_by_default(api, owner):
    folder = folder_create(user=owner, name="a")
    chat = session_create(user=owner, folder=folder.pk)
    response = api.delete(f"/api/folders/{folder.pk}/")
    assert (response.status_code, response.json()) == (200, {"trashed": []})
    chat.refresh_from_db()
    assert (chat.folder_id, chat.deleted_at) == (None, None)


def test_delete_with_trash_names_the_chats_for_an_undo(api, owner):
    folder = folder_create(user=owner, name="a")
    chat = session_create(user=owner, folder=folder.pk)
    response = api.delete(f"/api/folders/{folder.pk}/?chats=trash")
    assert response.json() == {"trashed": [str(chat.pk)]}
    undo = api.post("/api/sessions/bulk/", {"ids": response.json()["trashed"], "action": "restore"}, format="json")
    assert undo.json()["done"] == 1
    assert api.delete(f"/api/folders/{folder.pk}/?chats=keep").status_code in (400, 404)


def test_a_chat_moves_by_patch_and_its_folder_lists_it(api, owner):
    folder = folder_create(user=owner, name="a")
    inside, outside = session_create(user=owner), session_create(user=owner)
    response = api.patch(f"/api/sessions/{inside.pk}/", {"folder": str(folder.pk)}, format="json")
    assert (response.status_code, response.json()["folder"]) == (200, str(folder.pk))
    assert [s["id"] for s in api.get(f"/api/sessions/?folder={folder.pk}").json()["results"]] == [str(inside.pk)]
    assert [s["id"] for s in api.get("/api/sessions/?folder=none").json()["results"]] == [str(outside.pk)]
    api.patch(f"/api/sessions/{inside.pk}/", {"folder": None}, format="json")
    assert Session.objects.get(pk=inside.pk).folder_id is None


def test_a_folders_chats_are_paginated(api, owner):
    folder = folder_create(user=owner, name="a")
    for _ in range(3):
        session_create(user=owner, folder=folder.pk)
    first = api.get(f"/api/sessions/?folder={folder.pk}&limit=2").json()
    second = api.get(first["next"]).json()
    assert (len(first["results"]), len(second["results"]), second["next"]) == (2, 1, None)


def count(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code < 300, response.content
    return len(captured.captured_queries)


def test_the_query_counts_are_fixed(api, owner):
    folder = folder_create(user=owner, name="top")
    chat = session_create(user=owner)
    calls = {
        "list": lambda: api.get("/api/folders/"),
        "one": lambda: api.get(f"/api/folders/{folder.pk}/"),
        "chats": lambda: api.get(f"/api/sessions/?folder={folder.pk}"),
        "move": lambda: api.patch(f"/api/sessions/{chat.pk}/", {"folder": str(folder.pk)}, format="json"),
        "move-out": lambda: api.patch(f"/api/sessions/{chat.pk}/", {"folder": None}, format="json"),
        "rename": lambda: api.patch(f"/api/folders/{folder.pk}/", {"name": "top"}, format="json"),
    }
    small = {name: count(call) for name, call in calls.items()}
    for n in range(20):
        sub = folder_create(user=owner, name=f"f{n}", parent_id=folder.pk)
        session_create(user=owner, folder=sub.pk if n % 2 else folder.pk)
    assert {name: count(call) for name, call in calls.items()} == small
    # Pinned: token auth (2) + the statement(s) of the door itself.
    assert small == {"list": 2, "one": 2, "chats": 3, "move": 6, "move-out": 5, "rename": 10}


def test_a_chat_created_in_a_folder_takes_its_persona(api, owner, outsider):
    persona = PersonaFactory()
    folder = folder_create(user=owner, name="Poems", persona=persona.slug)
    response = api.post("/api/sessions/", {"folder": str(folder.pk)}, format="json")
    assert (response.status_code, response.json()["folder"], response.json()["persona"]["slug"]) == (
        201,
        str(folder.pk),
        persona.slug,
    )
    theirs = folder_create(user=outsider, name="Theirs")
    assert api.post("/api/sessions/", {"folder": str(theirs.pk)}, format="json").status_code == 404

import pytest
from django.core.exceptions import ValidationError

from chatproject import live
from conversation.folders.services import folder_create, folder_delete
from conversation.models import Folder, Session
from conversation.sessions.bulk import sessions_bulk
from conversation.sessions.create import session_create


@pytest.fixture
def tree(owner):
    top = folder_create(user=owner, name="top")
    sub = folder_create(user=owner, name="sub", parent_id=top.pk)
    other = folder_create(user=owner, name="other")
    chats = {
        "top": session_create(user=owner, folder=top.pk),
        "sub": session_create(user=owner, folder=sub.pk),
        "other": session_create(user=owner, folder=other.pk),
    }
    return top, other, chats


def rows(chats) -> dict[str, tuple]:
    found = Session.objects.in_bulk([s.pk for s in chats.values()])
    return {name: (found[s.pk].folder_id, found[s.pk].deleted_at is not None) for name, s in chats.items()}


def test_moving_out_keeps_the_chats_in_no_folder_and_removes_the_subfolders(owner, tree):
    top, other, chats = tree
    assert folder_delete(user=owner, folder_id=top.pk, chats="move_out") == []
    assert list(Folder.objects.filter(user=owner)) == [other]
    assert rows(chats) == {"top": (None, False), "sub": (None, False), "other": (other.pk, False)}


def test_trash_moves_the_chats_of_its_subfolders_too_and_restoring_them_undoes_it(owner, tree):
    top, other, chats = tree
    trashed = folder_delete(user=owner, folder_id=top.pk, chats="trash")
    assert sorted(trashed) == sorted([str(chats["top"].pk), str(chats["sub"].pk)])
    assert rows(chats) == {"top": (None, True), "sub": (None, True), "other": (other.pk, False)}
    assert sessions_bulk(user=owner, session_ids=trashed, action="restore").done == 2
    assert rows(chats)["sub"] == (None, False)


def test_it_asks_what_becomes_of_the_chats(owner, tree):
    with pytest.raises(ValidationError):
        folder_delete(user=owner, folder_id=tree[0].pk, chats="keep")
    assert Folder.objects.filter(user=owner).count() == 3


def test_another_users_folder_is_not_found(owner, outsider, tree):
    with pytest.raises(Folder.DoesNotExist):
        folder_delete(user=outsider, folder_id=tree[0].pk, chats="trash")
    assert Folder.objects.filter(user=owner).count() == 3


def test_every_tab_hears_the_chats_moved_and_the_new_tree(owner, tree, monkeypatch):
    top, other, _ = tree
    heard = []
    monkeypatch.setattr(live, "publish_after_commit", heard.extend)
    folder_delete(user=owner, folder_id=top.pk, chats="move_out")
    types = [event["type"] for _, event in heard]
    assert types == ["session.updated", "session.updated", "folders.changed"]
    assert {event["session"]["folder"] for _, event in heard[:2]} == {None}
    assert [f["id"] for f in heard[2][1]["folders"]] == [str(other.pk)]

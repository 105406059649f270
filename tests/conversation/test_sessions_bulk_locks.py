"""A bulk move, tag or untag takes its locks in the order the folder and tag services take theirs
(the user's row, the folder, then the chats in id order): one that ran beside a tag rename or a
folder removal over the same chats used to lock the chats first and deadlock with it (a 500)."""

import uuid

import pytest
from django.db import transaction

from accounts.models import User
from conversation.folders.services import folder_create, folder_delete
from conversation.models import Folder, Session, Tag
from conversation.sessions.bulk import sessions_bulk
from conversation.sessions.create import session_create
from conversation.tags.services import sessions_tag, tag_rename
from tests.factories import UserFactory
from tests.helpers import in_a_thread, wait_until_another_transaction_waits_for_a_lock


def lock_the_users_row(user) -> None:
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bulk_tag_beside_a_tag_rename_of_the_same_chats_waits_its_turn_instead_of_deadlocking():
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    chats = [session_create(user=owner) for _ in range(2)]
    sessions_tag(user=owner, session_ids=[c.pk for c in chats], names=["old"])
    tag = Tag.objects.get(user=owner, name="old")

    with transaction.atomic():
        lock_the_users_row(owner)  # tag_rename's first lock; its chats' come next
        thread, outcome = in_a_thread(
            lambda: sessions_bulk(user=owner, session_ids=[str(c.pk) for c in chats], action="tag", tags=["new"])
        )
        wait_until_another_transaction_waits_for_a_lock()
        tag_rename(user=owner, tag_id=tag.pk, name="renamed")
    thread.join(30)

    assert [type(o).__name__ for o in outcome] == ["BulkResult"], outcome
    assert [Session.objects.get(pk=c.pk).tag_names for c in chats] == [["new", "renamed"]] * 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bulk_move_into_a_folder_being_removed_waits_and_then_finds_no_folder():
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    folder = folder_create(user=owner, name="Going")
    chats = [session_create(user=owner, folder=folder.pk), session_create(user=owner)]

    with transaction.atomic():
        lock_the_users_row(owner)  # folder_delete's locks: the user's row, the folders, then their chats
        Folder.objects.select_for_update().filter(pk=folder.pk).first()
        thread, outcome = in_a_thread(
            lambda: sessions_bulk(
                user=owner, session_ids=[str(c.pk) for c in chats], action="move", folder=str(folder.pk)
            )
        )
        wait_until_another_transaction_waits_for_a_lock()
        folder_delete(user=owner, folder_id=folder.pk)
    thread.join(30)

    assert [type(o) for o in outcome] == [Folder.DoesNotExist], outcome
    assert [Session.objects.get(pk=c.pk).folder_id for c in chats] == [None, None]

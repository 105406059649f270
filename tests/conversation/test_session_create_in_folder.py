import uuid

import pytest
from django.db import transaction

from conversation.folders.services import folder_create, folder_delete
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory, UserFactory
from tests.helpers import in_a_thread, wait_until_another_transaction_waits_for_a_lock


def test_a_chat_started_in_a_folder_takes_its_persona_unless_given_one(owner):
    poet, critic = PersonaFactory(), PersonaFactory()
    folder = folder_create(user=owner, name="Poems", persona=poet.slug)
    assert session_create(user=owner, folder=folder.pk).persona == poet
    assert session_create(user=owner, folder=folder.pk, persona=critic.slug).persona == critic
    assert session_create(user=owner, folder=folder.pk).folder_id == folder.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chat_started_in_a_folder_being_removed_waits_and_finds_no_folder_instead_of_a_500():
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    folder = folder_create(user=owner, name="Going")
    with transaction.atomic():
        folder_delete(user=owner, folder_id=folder.pk)  # not committed yet
        thread, outcome = in_a_thread(lambda: session_create(user=owner, folder=folder.pk))
        wait_until_another_transaction_waits_for_a_lock()
    thread.join(30)

    assert [type(o) for o in outcome] == [Folder.DoesNotExist], outcome
    assert not Session.objects.filter(user=owner).exists()

import threading
import uuid

import pytest
from django.db import close_old_connections, transaction

from conversation.folders.services import folder_create, folder_delete
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory, UserFactory
from tests.helpers import wait_until_another_transaction_waits_for_a_lock


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
    outcome: list = []

    def start_a_chat_in_it():
        try:
            outcome.append(session_create(user=owner, folder=folder.pk))
        except Exception as exc:
            outcome.append(exc)
        finally:
            close_old_connections()

    with transaction.atomic():
        folder_delete(user=owner, folder_id=folder.pk)  # not committed yet
        thread = threading.Thread(target=start_a_chat_in_it)
        thread.start()
        wait_until_another_transaction_waits_for_a_lock()
    thread.join(30)

    assert [type(o) for o in outcome] == [Folder.DoesNotExist], outcome
    assert not Session.objects.filter(user=owner).exists()

from conversation.folders.services import folder_create
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory


def test_a_chat_started_in_a_folder_takes_its_persona_unless_given_one(owner):
    poet, critic = PersonaFactory(), PersonaFactory()
    folder = folder_create(user=owner, name="Poems", persona=poet.slug)
    assert session_create(user=owner, folder=folder.pk).persona == poet
    assert session_create(user=owner, folder=folder.pk, persona=critic.slug).persona == critic
    assert session_create(user=owner, folder=folder.pk).folder_id == folder.pk

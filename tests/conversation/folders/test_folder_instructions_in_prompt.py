"""A folder's instructions reach the model: added to the system prompt of its chats' replies."""

import pytest

from conversation.folders.services import folder_create, folder_update, sessions_move_to_folder
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory
from tests.helpers import token_client

# The reply is stored through database threads: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def system_prompt_of_a_reply(owner, session, model_server) -> str:
    response = token_client(owner).post(
        f"/api/sessions/{session.pk}/reply/", {"text": "hi"}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.json()["reply"]["text"] == "Echo: hi"
    return model_server.requests[-1]["messages"][0]["content"]


def test_the_model_gets_the_folders_persona_and_instructions(owner, openai_backend):
    persona = PersonaFactory(system_prompt="You are a poet.")
    folder = folder_create(user=owner, name="Poems", persona=persona.slug, instructions="Always rhyme.")
    session = session_create(user=owner, folder=folder.pk)
    assert system_prompt_of_a_reply(owner, session, openai_backend) == "You are a poet.\n\nAlways rhyme."


def test_a_change_of_instructions_or_a_move_out_holds_from_the_next_reply(owner, openai_backend):
    folder = folder_create(user=owner, name="Work", instructions="Answer in French.")
    session = session_create(user=owner, persona=PersonaFactory(system_prompt="Be kind.").slug)
    sessions_move_to_folder(user=owner, session_ids=[session.pk], folder_id=folder.pk)
    assert system_prompt_of_a_reply(owner, session, openai_backend) == "Be kind.\n\nAnswer in French."
    folder_update(user=owner, folder_id=folder.pk, instructions="Answer in German.")
    assert system_prompt_of_a_reply(owner, session, openai_backend) == "Be kind.\n\nAnswer in German."
    sessions_move_to_folder(user=owner, session_ids=[session.pk], folder_id=None)
    assert system_prompt_of_a_reply(owner, session, openai_backend) == "Be kind."


def test_a_subfolder_does_not_inherit_its_parents_instructions(owner, openai_backend):
    top = folder_create(user=owner, name="Work", instructions="Answer in French.")
    sub = folder_create(user=owner, name="Drafts", parent_id=top.pk)
    session = session_create(user=owner, folder=sub.pk, persona=PersonaFactory(system_prompt="Be kind.").slug)
    assert system_prompt_of_a_reply(owner, session, openai_backend) == "Be kind."

import pytest
from django.core.exceptions import ValidationError

from conversation.sessions.create import session_create


def test_it_uses_the_default_persona(owner):
    session = session_create(user=owner)
    assert session.persona.slug == "default"
    assert (session.message_count, session.last_seq, session.context_epoch) == (0, 0, 0)
    assert session.title == ""


def test_it_takes_a_persona_title_and_metadata(owner):
    session = session_create(user=owner, persona="creative-writer", title=" My  story ", metadata={"k": 1})
    assert (session.persona.slug, session.title, session.metadata) == ("creative-writer", "My story", {"k": 1})


def test_it_refuses_an_unknown_persona(owner):
    with pytest.raises(ValidationError) as caught:
        session_create(user=owner, persona="pirate")
    assert caught.value.message_dict == {"persona": ["Unknown persona 'pirate'."]}

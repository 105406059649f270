import uuid

import pytest
from django.core.exceptions import ValidationError

from conversation.history.append import utterances_append
from conversation.history.save import conversation_save
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create

VOICE_MESSAGES = [
    UtteranceIn(role="user", text="Hello, I want to plan a trip", timestamp=1763726400000),
    UtteranceIn(role="agent", text="Where would you like to go?", timestamp=1763726401456),
    UtteranceIn(role="user", text="yes", timestamp=1763726402000),
    UtteranceIn(role="user", text="yes", timestamp=1763726403000),
]


def test_it_creates_the_session_under_the_callers_id(owner):
    session_id = uuid.uuid4()
    result = conversation_save(user=owner, session_id=session_id, messages=VOICE_MESSAGES)
    assert result.session.pk == session_id
    assert result.session.user == owner
    assert [u.role for u in result.utterances] == ["user", "assistant", "user", "user"]
    assert result.session.message_count == 4
    assert result.session.title == "Hello, I want to plan a trip"


def test_it_keeps_the_client_timestamps(owner):
    result = conversation_save(user=owner, messages=VOICE_MESSAGES[:1])
    assert result.utterances[0].created_at.isoformat() == "2025-11-21T12:00:00+00:00"


def test_a_retried_save_without_client_ids_stores_nothing_twice(owner):
    session_id = uuid.uuid4()
    for _ in range(3):
        conversation_save(user=owner, session_id=session_id, messages=VOICE_MESSAGES)
    assert Utterance.objects.filter(session_id=session_id).count() == 4
    assert Session.objects.get(pk=session_id).message_count == 4


def test_a_later_save_of_the_grown_conversation_adds_only_the_new_messages(owner):
    session_id = uuid.uuid4()
    conversation_save(user=owner, session_id=session_id, messages=VOICE_MESSAGES[:2])
    result = conversation_save(user=owner, session_id=session_id, messages=VOICE_MESSAGES)
    assert result.created == 2
    assert list(Utterance.objects.filter(session_id=session_id).order_by("seq").values_list("text", flat=True)) == [
        "Hello, I want to plan a trip",
        "Where would you like to go?",
        "yes",
        "yes",
    ]


def test_it_marks_the_session_ended_when_asked(owner):
    result = conversation_save(user=owner, messages=VOICE_MESSAGES, end=True)
    assert result.session.ended_at is not None
    assert Session.objects.get(pk=result.session.pk).ended_at == result.session.ended_at


def test_it_continues_an_existing_session(owner):
    session = session_create(user=owner)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="typed")])
    result = conversation_save(user=owner, session_id=session.pk, messages=VOICE_MESSAGES[:1])
    assert [u.seq for u in result.utterances] == [2]


def test_another_users_session_is_not_found(owner, outsider):
    session = session_create(user=owner)
    with pytest.raises(Session.DoesNotExist):
        conversation_save(user=outsider, session_id=session.pk, messages=VOICE_MESSAGES)
    assert not Utterance.objects.exists()


def test_a_bad_message_writes_nothing_not_even_the_session(owner):
    session_id = uuid.uuid4()
    bad = [*VOICE_MESSAGES, UtteranceIn(role="narrator", text="x")]
    with pytest.raises(ValidationError):
        conversation_save(user=owner, session_id=session_id, messages=bad)
    assert not Session.objects.filter(pk=session_id).exists()


def test_it_takes_persona_and_title(owner):
    result = conversation_save(
        user=owner, messages=VOICE_MESSAGES[:1], persona="technical-support", title="Router trouble"
    )
    assert result.session.persona.slug == "technical-support"
    assert result.session.title == "Router trouble"


def test_an_unknown_persona_is_a_validation_error(owner):
    with pytest.raises(ValidationError) as caught:
        conversation_save(user=owner, messages=VOICE_MESSAGES, persona="pirate")
    assert "persona" in caught.value.message_dict

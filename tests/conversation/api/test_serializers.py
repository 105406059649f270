"""The output serializers' direct representations give exactly what DRF's generic one gives from
their declared fields (which also make the OpenAPI schema), in UTC and in another time zone."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from conversation.api.serializers import (
    SessionDetailOutputSerializer,
    SessionOutputSerializer,
    SessionRowOutputSerializer,
    UtteranceOutputSerializer,
)
from conversation.history.pages import utterance_page
from conversation.history.save import conversation_save
from conversation.sessions.create import session_create
from conversation.sessions.lists import session_list_for_user
from conversation.sessions.lookup import session_get_for_user
from tests.helpers import say


def generic(serializer_class, instance) -> dict:
    serializer = serializer_class()
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture(params=["UTC", "Europe/Paris"])
def zone(request):
    with timezone.override(request.param):
        yield request.param


@pytest.fixture
def ended(owner):
    session = session_create(user=owner, title="Ended <b>", metadata={"source": "voice", "n": 1})
    say(owner, session, "hello", "there", role="user")
    say(owner, session, "typing", is_final=False)
    say(owner, session, "answer", role="assistant")
    conversation_save(user=owner, session_id=session.pk, end=True, messages=[])
    return session_get_for_user(user=owner, session_id=session.pk)


def test_a_session_and_its_detail(zone, ended, owner):
    fresh = session_create(user=owner)
    for session in (ended, session_get_for_user(user=owner, session_id=fresh.pk)):
        for serializer_class in (SessionOutputSerializer, SessionDetailOutputSerializer):
            assert serializer_class(session).data == generic(serializer_class, session)
    assert SessionOutputSerializer(ended).data["ended_at"] is not None


def test_a_list_row(zone, ended, owner):
    session_create(user=owner)
    rows = list(session_list_for_user(user=owner))
    assert len(rows) == 2
    for row in rows:
        assert SessionRowOutputSerializer(row).data == generic(SessionRowOutputSerializer, row)
    assert SessionRowOutputSerializer(rows, many=True).data == [generic(SessionRowOutputSerializer, r) for r in rows]


def test_utterances(zone, ended, owner):
    page = utterance_page(user=owner, session_id=ended.pk, include_interim=True)
    assert len(page.utterances) == 4
    say(owner, ended, "with metadata", metadata={"confidence": 0.9, "words": [{"w": "hi"}]})
    utterances = utterance_page(user=owner, session_id=ended.pk, include_interim=True).utterances
    for utterance in utterances:
        assert UtteranceOutputSerializer(utterance).data == generic(UtteranceOutputSerializer, utterance)

import pytest

from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_delete, session_trash, sessions_delete
from tests.helpers import say


def test_it_deletes_the_session_with_its_utterances(owner, session):
    say(owner, session, "one", "two")
    session_delete(user=owner, session_id=session.pk)
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not Utterance.objects.exists()


def test_it_removes_a_session_from_the_trash_for_good(owner, session):
    say(owner, session, "one")
    session_trash(user=owner, session_id=session.pk)
    session_delete(user=owner, session_id=session.pk)
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not Utterance.objects.exists()


def test_another_users_session_is_not_found_and_survives(owner, outsider, session):
    say(owner, session, "keep me")
    with pytest.raises(Session.DoesNotExist):
        session_delete(user=outsider, session_id=session.pk)
    assert Session.objects.filter(pk=session.pk).exists()


def test_sessions_delete_reports_what_it_removed(owner):
    a = session_create(user=owner)
    b = session_create(user=owner)
    say(owner, a, "1", "2")
    say(owner, b, "3")
    assert sessions_delete(session_ids=[a.pk, b.pk]) == (2, 3)

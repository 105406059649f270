import pytest

from conversation import services
from conversation.models import Session, Utterance
from tests.helpers import say


def test_it_deletes_the_session_with_its_utterances(owner, session):
    say(owner, session, "one", "two")
    services.session_delete(user=owner, session_id=session.pk)
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not Utterance.objects.exists()


def test_it_removes_a_session_from_the_trash_for_good(owner, session):
    say(owner, session, "one")
    services.session_trash(user=owner, session_id=session.pk)
    services.session_delete(user=owner, session_id=session.pk)
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not Utterance.objects.exists()


def test_another_users_session_is_not_found_and_survives(owner, outsider, session):
    say(owner, session, "keep me")
    with pytest.raises(Session.DoesNotExist):
        services.session_delete(user=outsider, session_id=session.pk)
    assert Session.objects.filter(pk=session.pk).exists()


def test_sessions_delete_reports_what_it_removed(owner):
    a = services.session_create(user=owner)
    b = services.session_create(user=owner)
    say(owner, a, "1", "2")
    say(owner, b, "3")
    assert services.sessions_delete(session_ids=[a.pk, b.pk]) == (2, 3)

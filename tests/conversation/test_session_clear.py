import pytest

from conversation.models import Session, Utterance
from conversation.sessions.lifecycle import session_clear
from tests.helpers import say


def test_it_removes_utterances_keeps_the_session_and_bumps_the_epoch(owner, session):
    say(owner, session, "one", "two")
    cleared = session_clear(user=owner, session_id=session.pk)
    assert not Utterance.objects.filter(session=session).exists()
    assert (cleared.message_count, cleared.user_message_count, cleared.context_epoch) == (0, 0, 1)
    assert Session.objects.filter(pk=session.pk).exists()


def test_seq_numbering_continues_after_a_clear(owner, session):
    say(owner, session, "one", "two")
    session_clear(user=owner, session_id=session.pk)
    result = say(owner, session, "three")
    assert [u.seq for u in result.utterances] == [3]


def test_another_users_session_is_not_found(owner, outsider, session):
    say(owner, session, "keep me")
    with pytest.raises(Session.DoesNotExist):
        session_clear(user=outsider, session_id=session.pk)
    assert Utterance.objects.filter(session=session).count() == 1

import pytest

from conversation.context import context_window_get
from conversation.history.pages import utterance_page
from conversation.models import Session
from conversation.sessions.create import session_update
from conversation.sessions.lifecycle import session_restore, session_trash
from tests.helpers import say


def test_it_puts_the_session_back_exactly_as_it_was(owner, session):
    say(owner, session, "one", "two")
    say(owner, session, "three", role="assistant")
    session_update(user=owner, session_id=session.pk, pinned=True)
    before = Session.objects.get(pk=session.pk)
    window = context_window_get(session=before).messages

    session_trash(user=owner, session_id=session.pk)
    restored = session_restore(user=owner, session_id=session.pk)

    after = Session.objects.get(pk=session.pk)
    fields = ("title", "message_count", "user_message_count", "assistant_message_count", "last_seq")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    assert (after.last_activity_at, after.pinned_at, after.deleted_at) == (
        before.last_activity_at,
        before.pinned_at,
        None,
    )
    assert restored.deleted_at is None
    assert context_window_get(session=after).messages == window
    assert [u.text for u in utterance_page(user=owner, session_id=session.pk).utterances] == [
        "one",
        "two",
        "three",
    ]
    say(owner, session, "four")  # and it takes messages again


def test_restoring_a_session_not_in_the_trash_answers_it_unchanged(owner, session):
    assert session_restore(user=owner, session_id=session.pk).deleted_at is None


def test_another_user_cannot_restore(owner, outsider, session):
    session_trash(user=owner, session_id=session.pk)
    with pytest.raises(Session.DoesNotExist):
        session_restore(user=outsider, session_id=session.pk)
    session.refresh_from_db()
    assert session.deleted_at is not None

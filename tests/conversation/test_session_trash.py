import pytest

from conversation.history.pages import utterance_page
from conversation.history.save import conversation_save
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.search import session_search_for_user
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_clear, session_trash
from conversation.sessions.lists import session_list_for_user, session_stats_for_user
from conversation.sessions.lookup import session_get_for_user
from tests.helpers import say


@pytest.fixture
def trashed(owner, session):
    say(owner, session, "Plans for Lisbon")
    session_trash(user=owner, session_id=session.pk)
    return session


def test_it_marks_the_session_and_keeps_everything(owner, trashed):
    trashed.refresh_from_db()
    assert trashed.deleted_at is not None
    assert (trashed.message_count, trashed.utterances.count(), trashed.title) == (1, 1, "Plans for Lisbon")


def test_every_door_but_the_trash_finds_nothing(owner, trashed):
    with pytest.raises(Session.DoesNotExist):
        session_get_for_user(user=owner, session_id=trashed.pk)
    with pytest.raises(Session.DoesNotExist):
        utterance_page(user=owner, session_id=trashed.pk)
    with pytest.raises(Session.DoesNotExist):
        session_update(user=owner, session_id=trashed.pk, title="new")
    with pytest.raises(Session.DoesNotExist):
        session_clear(user=owner, session_id=trashed.pk)
    with pytest.raises(Session.DoesNotExist):
        session_trash(user=owner, session_id=trashed.pk)
    assert session_search_for_user(user=owner, q="lisbon") == []
    for view in ("live", "pinned", "archived"):
        assert list(session_list_for_user(user=owner, view=view)) == []
    assert session_stats_for_user(user=owner).sessions == 0
    assert [row["id"] for row in session_list_for_user(user=owner, view="trash")] == [trashed.pk]


def test_nothing_is_appended_or_saved_into_it(owner, trashed):
    with pytest.raises(Session.DoesNotExist):
        say(owner, trashed, "more")
    with pytest.raises(Session.DoesNotExist):
        conversation_save(
            user=owner, session_id=trashed.pk, messages=[UtteranceIn(role="user", text="saved")], title="x"
        )
    trashed.refresh_from_db()
    assert (trashed.message_count, trashed.last_seq, trashed.title) == (1, 1, "Plans for Lisbon")


def test_the_trash_lists_the_newest_deletion_first(owner):
    first, second = session_create(user=owner, title="first"), session_create(user=owner)
    session_trash(user=owner, session_id=second.pk)
    session_trash(user=owner, session_id=first.pk)
    say_later = session_create(user=owner)  # activity elsewhere changes nothing in the trash
    say(owner, say_later, "x")
    assert [row["id"] for row in session_list_for_user(user=owner, view="trash")] == [first.pk, second.pk]


def test_another_users_session_cannot_be_trashed(outsider, session):
    with pytest.raises(Session.DoesNotExist):
        session_trash(user=outsider, session_id=session.pk)
    session.refresh_from_db()
    assert session.deleted_at is None


def test_a_bad_id_is_not_found_not_an_error(owner):
    for bad in ("nope", "", "0" * 40):
        with pytest.raises(Session.DoesNotExist):
            session_trash(user=owner, session_id=bad)

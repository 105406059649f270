import pytest
from django.core.exceptions import ValidationError

from conversation.models import Session
from conversation.sessions.create import session_update
from tests.helpers import say


def test_it_renames(owner, session):
    updated = session_update(user=owner, session_id=session.pk, title="Renamed")
    assert updated.title == "Renamed"
    say(owner, session, "this would have been the automatic title")
    session.refresh_from_db()
    assert session.title == "Renamed"


def test_clearing_the_title_brings_the_automatic_one_back(owner, session):
    say(owner, session, "What is a monad")
    session_update(user=owner, session_id=session.pk, title="Custom")
    updated = session_update(user=owner, session_id=session.pk, title="")
    assert updated.title == "What is a monad"


def test_it_changes_persona_and_metadata(owner, session):
    updated = session_update(user=owner, session_id=session.pk, persona="technical-support", metadata={"a": 1})
    session.refresh_from_db()
    assert (session.persona.slug, session.metadata) == ("technical-support", {"a": 1})
    assert updated.persona.slug == "technical-support"


def test_it_refuses_a_title_over_the_limit(owner, session, settings):
    settings.MAX_TITLE_CHARS = 3
    with pytest.raises(ValidationError):
        session_update(user=owner, session_id=session.pk, title="long")


def test_another_users_session_is_not_found(outsider, session):
    with pytest.raises(Session.DoesNotExist):
        session_update(user=outsider, session_id=session.pk, title="mine now")
    session.refresh_from_db()
    assert session.title == ""


def test_pinning_sets_the_time_once_and_unpinning_clears_it(owner, session):
    pinned = session_update(user=owner, session_id=session.pk, pinned=True)
    assert pinned.pinned_at is not None
    again = session_update(user=owner, session_id=session.pk, pinned=True)
    assert again.pinned_at == pinned.pinned_at
    session_update(user=owner, session_id=session.pk, pinned=False)
    session.refresh_from_db()
    assert session.pinned_at is None


def test_archiving_and_unarchiving_leave_the_pin_and_the_rest_unchanged(owner, session):
    say(owner, session, "hello")
    session_update(user=owner, session_id=session.pk, pinned=True)
    session_update(user=owner, session_id=session.pk, archived=True)
    session.refresh_from_db()
    assert session.archived_at is not None
    assert session.pinned_at is not None
    session_update(user=owner, session_id=session.pk, archived=False)
    session.refresh_from_db()
    assert (session.archived_at, session.message_count, session.title) == (None, 1, "hello")
    assert session.pinned_at is not None


def test_another_user_cannot_pin_or_archive(outsider, session):
    with pytest.raises(Session.DoesNotExist):
        session_update(user=outsider, session_id=session.pk, pinned=True, archived=True)
    session.refresh_from_db()
    assert (session.pinned_at, session.archived_at) == (None, None)

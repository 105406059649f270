import pytest
from django.core.exceptions import ValidationError

from conversation import services
from conversation.models import Session
from tests.helpers import say


def test_it_renames(owner, session):
    updated = services.session_update(user=owner, session_id=session.pk, title="Renamed")
    assert updated.title == "Renamed"
    say(owner, session, "this would have been the automatic title")
    session.refresh_from_db()
    assert session.title == "Renamed"


def test_clearing_the_title_brings_the_automatic_one_back(owner, session):
    say(owner, session, "What is a monad")
    services.session_update(user=owner, session_id=session.pk, title="Custom")
    updated = services.session_update(user=owner, session_id=session.pk, title="")
    assert updated.title == "What is a monad"


def test_it_changes_persona_and_metadata(owner, session):
    updated = services.session_update(user=owner, session_id=session.pk, persona="technical-support", metadata={"a": 1})
    session.refresh_from_db()
    assert (session.persona.slug, session.metadata) == ("technical-support", {"a": 1})
    assert updated.persona.slug == "technical-support"


def test_it_refuses_a_title_over_the_limit(owner, session, settings):
    settings.MAX_TITLE_CHARS = 3
    with pytest.raises(ValidationError):
        services.session_update(user=owner, session_id=session.pk, title="long")


def test_another_users_session_is_not_found(outsider, session):
    with pytest.raises(Session.DoesNotExist):
        services.session_update(user=outsider, session_id=session.pk, title="mine now")
    session.refresh_from_db()
    assert session.title == ""

"""Who named a chat (Session.title_source): every door by which a person gives a title makes it
theirs, so that the model never replaces it; the first message's title stays automatic."""

import uuid
from datetime import UTC, datetime

from conversation.branches.edits import session_fork
from conversation.history.save import conversation_save
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from imports.writer import ImportedMessage, conversation_import
from tests.helpers import say, token_client


def named(session_id) -> tuple[str, str]:
    return tuple(Session.objects.filter(pk=session_id).values_list("title", "title_source").get())


def test_the_first_messages_title_is_automatic(owner, session):
    say(owner, session, "What is a monad?")
    assert named(session.pk) == ("What is a monad?", "auto")


def test_a_title_given_at_creation_is_the_owners(owner):
    assert named(session_create(user=owner).pk) == ("", "auto")
    assert named(session_create(user=owner, title="Trip").pk) == ("Trip", "user")
    created = token_client(owner).post("/api/sessions/", {"title": "Plans"}, format="json").json()
    assert named(created["id"]) == ("Plans", "user")


def test_a_rename_is_the_owners_and_clearing_it_gives_the_automatic_one_back(owner, session):
    say(owner, session, "What is a monad?")
    response = token_client(owner).patch(f"/api/sessions/{session.pk}/", {"title": "Monads"}, format="json")
    assert response.status_code == 200
    assert named(session.pk) == ("Monads", "user")
    session_update(user=owner, session_id=session.pk, title="")
    assert named(session.pk) == ("What is a monad?", "auto")


def test_a_change_of_anything_but_the_title_leaves_who_named_it(owner, session):
    say(owner, session, "What is a monad?")
    session_update(user=owner, session_id=session.pk, pinned=True, metadata={"a": 1})
    assert named(session.pk) == ("What is a monad?", "auto")


def test_a_saved_conversations_title_is_the_owners(owner):
    saved = uuid.uuid4()
    conversation_save(user=owner, session_id=saved, messages=[UtteranceIn(role="user", text="Book a table")])
    assert named(saved) == ("Book a table", "auto")
    conversation_save(user=owner, session_id=saved, messages=[], title="Dinner")
    assert named(saved) == ("Dinner", "user")
    other = conversation_save(user=owner, messages=[UtteranceIn(role="user", text="hi")], title="Call")
    assert named(other.session.pk) == ("Call", "user")


def test_a_fork_is_named_copy_of_by_its_owner(owner, session):
    say(owner, session, "What is a monad?")
    fork = session_fork(user=owner, session_id=session.pk, seq=1)
    assert named(fork.pk) == ("Copy of What is a monad?", "user")


def test_an_imported_title_is_the_owners(owner):
    when = datetime(2025, 1, 1, tzinfo=UTC)
    messages = [ImportedMessage(id="u1", parent_id=None, role="user", text="Where?", created_at=when, metadata={})]
    titled = conversation_import(
        user=owner, source="chatgpt", source_id="a", title="Trip", messages=messages, head_id="u1"
    )
    untitled = conversation_import(
        user=owner, source="chatgpt", source_id="b", title="", messages=messages, head_id="u1"
    )
    assert named(titled.session_id) == ("Trip", "user")
    assert named(untitled.session_id) == ("Where?", "auto")

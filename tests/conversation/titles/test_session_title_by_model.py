"""A chat's title by the model, after its first reply, against the test model server: the reply runs
through HTTP as on the page, its title job is held (conftest.py) and run by the test."""

import logging

import pytest
from channels.db import database_sync_to_async
from django.db import close_old_connections, transaction

from chatproject import live
from conversation.models import Session, TokenUsageDay
from conversation.sessions.create import session_create, session_update
from conversation.titles.services import session_title_by_model
from tests.helpers import (
    event_receive,
    group_listen,
    in_a_thread,
    say,
    token_client,
    wait_until_another_transaction_waits_for_a_lock,
)
from tests.model_server import TITLE_ASKED

from .held import held_run

# Replies are stored on ORM threads: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


def reply(user, session, text: str) -> dict:
    response = token_client(user).post(
        f"/api/sessions/{session.pk}/reply/", {"text": text}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def named(session) -> tuple[str, str]:
    return tuple(Session.objects.filter(pk=session.pk).values_list("title", "title_source").get())


def title_requests(server) -> list[dict]:
    return [request for request in server.requests if TITLE_ASKED in request["messages"][0]["content"]]


def test_the_models_title_replaces_the_first_messages_after_the_first_reply(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon for a week?")
    assert named(session) == ("Where should I stay in Lisbon for a week?", "auto")
    assert len(held_tasks) == 1
    assert title_requests(titles_model) == []

    held_run()

    assert named(session) == ("Lisbon trip plans", "model")
    (asked,) = title_requests(titles_model)
    assert asked["max_tokens"] == 24
    assert "Where should I stay in Lisbon for a week?" in asked["messages"][1]["content"]
    assert "Echo: Where should I stay in Lisbon for a week?" in asked["messages"][1]["content"]
    # The title's call is counted with the reply's in the owner's day.
    day = TokenUsageDay.objects.get(user=owner)
    assert (day.calls, day.estimated_calls) == (2, 0)


def test_the_second_reply_asks_for_no_title(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    held_run()
    reply(owner, session, "And in Porto?")
    assert held_tasks == []
    assert len(title_requests(titles_model)) == 1
    assert named(session) == ("Lisbon trip plans", "model")


def test_a_rename_before_the_job_runs_wins_and_the_model_is_not_asked(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    session_update(user=owner, session_id=session.pk, title="Holidays")
    held_run()
    assert named(session) == ("Holidays", "user")
    assert title_requests(titles_model) == []


def test_a_rename_committed_while_the_model_answers_wins(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")

    def rename_meanwhile(request):
        if TITLE_ASKED in request["messages"][0]["content"]:
            try:
                session_update(user=owner, session_id=session.pk, title="Holidays")
            finally:
                close_old_connections()

    titles_model.on_request = rename_meanwhile
    held_run()
    assert len(title_requests(titles_model)) == 1
    assert named(session) == ("Holidays", "user")


def test_a_rename_holding_the_chat_when_the_title_is_written_wins(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    with transaction.atomic():
        session_update(user=owner, session_id=session.pk, title="Holidays")
        job, outcome = in_a_thread(held_run)
        wait_until_another_transaction_waits_for_a_lock()  # the job's UPDATE, behind the rename
    job.join()
    assert outcome == [[None]]
    assert named(session) == ("Holidays", "user")


def test_a_rename_after_the_models_title_replaces_it(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    held_run()
    session_update(user=owner, session_id=session.pk, title="Holidays")
    assert named(session) == ("Holidays", "user")


def test_the_offline_backend_keeps_the_first_messages_title(owner, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    assert held_tasks == []
    assert named(session) == ("Where should I stay in Lisbon?", "auto")


def test_titles_by_the_model_turned_off_keep_the_first_messages_title(owner, titles_model, held_tasks, settings):
    settings.TITLES_BY_MODEL = False
    session = session_create(user=owner)
    reply(owner, session, "Where should I stay in Lisbon?")
    assert held_tasks == []
    assert named(session) == ("Where should I stay in Lisbon?", "auto")


def test_a_title_given_at_creation_is_never_asked_for(owner, titles_model, held_tasks):
    session = session_create(user=owner, title="Holidays")
    reply(owner, session, "Where should I stay in Lisbon?")
    assert held_tasks == []
    assert named(session) == ("Holidays", "user")


def test_an_answer_with_no_title_keeps_the_title(owner, titles_model, held_tasks):
    session = session_create(user=owner)
    reply(owner, session, "[title-blank] Where should I stay?")
    held_run()
    assert len(title_requests(titles_model)) == 1
    assert named(session) == ("[title-blank] Where should I stay?", "auto")


def test_a_model_error_keeps_the_title_and_is_logged(owner, titles_model, caplog):
    session = session_create(user=owner)
    say(owner, session, "[500] Where should I stay?")
    say(owner, session, "Anywhere near the river.", role="assistant")
    with caplog.at_level(logging.WARNING, logger="conversation.titles.services"):
        assert session_title_by_model(session_id=session.pk, reply_seq=2) is None
    assert "no title by the model" in caplog.text
    assert named(session) == ("[500] Where should I stay?", "auto")


async def test_other_tabs_hear_the_models_title(owner, titles_model, held_tasks):
    session = await db_call(session_create)(user=owner)
    await db_call(reply)(owner, session, "Where should I stay in Lisbon?")
    tabs = await group_listen(live.user_group(owner.pk))

    await db_call(held_run)()

    event = await event_receive(tabs)
    assert event["type"] == "session.renamed"
    assert (event["session"]["id"], event["session"]["title"]) == (str(session.pk), "Lisbon trip plans")


def test_a_title_job_that_cannot_be_queued_costs_the_title_only(owner, titles_model, held_tasks, monkeypatch, caplog):
    from types import SimpleNamespace

    from conversation.titles import tasks

    def refuse(**kwargs):
        raise ConnectionError("the queue's database went away")

    monkeypatch.setattr(tasks, "session_title_make", SimpleNamespace(enqueue=refuse))
    session = session_create(user=owner)
    with caplog.at_level(logging.WARNING, logger="conversation.titles.services"):
        reply(owner, session, "Where should I stay in Lisbon?")  # the reply stands; the hooks after it run
    assert named(session) == ("Where should I stay in Lisbon?", "auto")
    assert "could not queue the title" in caplog.text

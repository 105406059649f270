"""summary_refresh_if_due: after a reply's commit, the summary's job is queued only when it may be due."""

import time
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from django_tasks_db.models import DBTaskResult

from conversation.db_threads import db_async
from conversation.models import ContextSummary, Utterance
from conversation.replies.stream import ReplyDone, reply_events
from conversation.replies.turn import reply_begin
from conversation.summaries.tasks import summary_refresh_task
from conversation.summaries.trigger import summary_refresh_due
from tests.conversation.summaries.conftest import chat
from tests.conversation.titles.held import HELD

TASK = "conversation.summaries.tasks.summary_refresh_task"


def reply(user, session, text: str) -> Utterance:
    async def go():
        turn = await db_async(reply_begin)(user=user, session_id=session.pk, text=text, client_id=None)
        return [event async for event in reply_events(user=user, turn=turn)]

    done = async_to_sync(go)()[-1]
    assert isinstance(done, ReplyDone)
    return done.utterance


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK))


@pytest.fixture
def held(settings):
    """Jobs enqueued are held for the test (tests/conversation/titles/held.py): left in the database,
    the session's worker would take one while the test's data is flushed under it."""
    settings.TASKS = {"default": {"BACKEND": "tests.conversation.titles.held.HeldBackend", "QUEUES": ["context"]}}
    HELD.clear()
    yield HELD
    HELD.clear()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_whose_prompt_dropped_n_messages_queues_the_summary_on_the_context_queue(
    owner, session, small_context, held
):
    chat(owner, session, 40)
    reply(owner, session, "and now?")
    [task] = held
    assert task.task.queue_name == "context"
    assert task.kwargs == {"session_id": str(session.pk)}
    summary_refresh_task.call(session_id=str(session.pk))  # what the worker runs
    assert ContextSummary.objects.filter(session=session).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_in_a_short_chat_queues_nothing(owner, session, small_context, held):
    chat(owner, session, 4)
    reply(owner, session, "hello")
    assert held == []


def metadata(*, messages, tokens=500, summary_messages=0, covered=0, budget=500) -> Utterance:
    context = {
        "messages": messages,
        "tokens": tokens,
        "budget": budget,
        "summary_messages": summary_messages,
        "covered": covered,
    }
    return Utterance(seq=100, metadata={"context": context})


class Counted:
    def __init__(self, message_count):
        self.message_count = message_count


@pytest.mark.parametrize(
    ("count", "reply_", "due"),
    [
        # The reply's prompt held 10 of the branch's 21 messages (the next holds the reply too): of
        # the 22 none summarized, 20 are due beyond the newest 2, and 11 fell out.
        (22, metadata(messages=10), True),
        (19, metadata(messages=10), False),  # 17 beyond the newest 2, 8 fell out
        (20, metadata(messages=9), True),  # 18 beyond the newest 2, but 10 fell out
        (12, metadata(messages=11, tokens=100), False),  # the whole chat in a prompt far from full
        (22, metadata(messages=21, tokens=400), True),  # the whole chat, 80% full: 20 summarized ahead
        (22, metadata(messages=21, tokens=399), False),  # 79.8% full
        (21, metadata(messages=20, tokens=400), False),  # 80% full, 19 beyond the newest 2
        # The summary covers 40 messages, 10 of them in the prompt: 18 after it beyond the newest 2.
        (60, metadata(messages=30, summary_messages=40, covered=10), False),
        (60, metadata(messages=30, summary_messages=38, covered=8), True),  # 20 after it
        (60, Utterance(seq=100, metadata={"context": {"messages": 30, "tokens": 500, "budget": 500}}), True),
        (0, Utterance(seq=100, metadata={}), False),  # no prompt recorded
    ],
)
def test_the_check_reads_the_replys_metadata_alone(settings, count, reply_, due):
    settings.SUMMARY_EVERY_MESSAGES = 10
    assert summary_refresh_due(session=Counted(count), reply=reply_) is due


def test_summaries_off_are_never_due(settings):
    settings.SUMMARY_EVERY_MESSAGES = 0
    assert not summary_refresh_due(session=Counted(1000), reply=metadata(messages=10))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_takes_the_job_from_the_context_queue_and_stores_the_summary(
    owner, session, job_worker, settings
):
    # The worker has the default context (8,192 tokens less 2,048): 40 messages of about 250 tokens overflow it.
    settings.SUMMARY_EVERY_MESSAGES = 10  # as the worker has it (the tests' default is none)
    chat(owner, session, 40, words=110)
    reply(owner, session, "and now?")
    deadline = time.monotonic() + 60
    # A run that leaves more dropped messages queues the next before it ends: all done is final.
    while {t.status for t in queued()} != {"SUCCESSFUL"}:
        assert time.monotonic() < deadline, [(t.status, t.traceback) for t in queued()]
        time.sleep(0.2)
    assert ContextSummary.objects.filter(session=session).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_replies_while_a_refresh_waits_queue_no_more(owner, session, small_context, held):
    chat(owner, session, 40)
    reply(owner, session, "and now?")
    reply(owner, session, "and then?")
    assert len(held) == 1
    summary_refresh_task.call(session_id=str(session.pk))  # it starts: the next due reply queues again
    before = len(held)
    reply(owner, session, "and after that?")
    assert len(held) == before + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_reply_sets_off_a_bounded_number_of_runs_however_big_the_backlog(
    owner, session, small_context, monkeypatch
):
    from conversation.summaries import tasks

    chat(owner, session, 1000, words=4)
    enqueued = []
    task = tasks.summary_refresh_task
    monkeypatch.setattr(tasks, "summary_refresh_task", SimpleNamespace(enqueue=lambda **kw: enqueued.append(kw["run"])))
    task.call(session_id=str(session.pk))
    ran = 0
    while ran < len(enqueued):  # each run queued, run in turn
        task.call(session_id=str(session.pk), run=enqueued[ran])
        ran += 1
    assert enqueued == list(range(2, tasks.RUNS_PER_REPLY + 1))
    assert ContextSummary.objects.filter(session=session).count() == tasks.RUNS_PER_REPLY

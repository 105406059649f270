"""summary_refresh_if_due: after a reply's commit, the summary's job is queued only when it may be due."""

import time
from types import SimpleNamespace

import pytest
from django_tasks_db.models import DBTaskResult

from conversation.models import ContextSummary, Session, Utterance
from conversation.summaries.selectors import summary_for_session
from conversation.summaries.tasks import summary_refresh_task
from conversation.summaries.trigger import summary_refresh_due
from tests.conversation.summaries.conftest import chat, in_neither, reply, run_held, summary_calls

TASK = "conversation.summaries.tasks.summary_refresh_task"


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=TASK))


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
def test_a_queued_mark_never_cleared_holds_back_only_the_next_n_messages(owner, session, small_context, held):
    # The embedded default: the worker's clearing, in its own process's cache, never reaches this one.
    chat(owner, session, 40)
    reply(owner, session, "and now?")  # 42 messages: queued
    for turn in range(3):  # 44, 46, 48: the same ten
        reply(owner, session, f"and then {turn}?")
    assert len(held) == 1
    reply(owner, session, "and after that?")  # 50: the next ten
    assert len(held) == 2


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


# --- through real replies: the check after each reply queues, the worker's job runs ---------------


def covered_now(session, covered: list[int]) -> None:
    """Appends how many messages the chat's summary covers, when a new one was made."""
    summary = summary_for_session(session=Session.objects.get(pk=session.pk))
    if summary is not None and (not covered or covered[-1] != summary.messages):
        covered.append(summary.messages)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chat_of_short_turns_is_summarized_ahead_and_no_message_falls_out_unsummarized(
    owner, session, small_context, held, openai_backend
):
    every, worst, covered = small_context.SUMMARY_EVERY_MESSAGES, 0, []
    for turn in range(80):
        reply(owner, session, f"q{turn}")
        run_held(held)
        worst = max(worst, in_neither(session))
        covered_now(session, covered)
    assert worst == 0
    steps = [later - earlier for earlier, later in zip([0, *covered[:-1]], covered, strict=True)]
    assert len(steps) == len(summary_calls(openai_backend)) >= 5  # each call stored
    assert min(steps) >= 2 * every  # ahead: 2N a call, so at most one call per 2N messages


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_window_too_small_to_summarize_ahead_leaves_at_most_n_out_of_both(
    owner, session, small_context, held, openai_backend
):
    every, worst, covered = small_context.SUMMARY_EVERY_MESSAGES, 0, []
    for turn in range(60):  # the prompt holds about 12 messages: 2N + the newest turn do not fit
        reply(owner, session, f"question {turn} " + " ".join(f"q{turn}w{i}" for i in range(10)))
        run_held(held)
        worst = max(worst, in_neither(session))
        covered_now(session, covered)
    assert worst <= every
    steps = [later - earlier for earlier, later in zip([0, *covered[:-1]], covered, strict=True)]
    assert len(steps) == len(summary_calls(openai_backend)) >= 4  # each call stored
    assert min(steps) >= every  # at most one call per N messages


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editing_behind_the_newest_summary_again_and_again_costs_one_call_per_n_messages_stored(
    owner, session, small_context, held, openai_backend
):
    # Each edit one turn back leaves the newest summary on the branch behind, and its new branch
    # is due one: the chat's summaries stay N stored messages apart, whatever the branches.
    for turn in range(40):
        reply(owner, session, f"q{turn}")
        run_held(held)
    openai_backend.requests.clear()
    first_seq, edits = Session.objects.get(pk=session.pk).last_seq, 0
    for n in range(30):
        current = Session.objects.get(pk=session.pk)
        point = summary_for_session(session=current)
        if point is not None and point.seq >= current.head_seq - 3:
            user_seq = point.seq - (Utterance.objects.get(session=session, seq=point.seq).role != "user")
            reply(owner, session, f"e{n}", edit_seq=user_seq)
            edits += 1
        else:
            reply(owner, session, f"r{n}")
        run_held(held)
    stored = Session.objects.get(pk=session.pk).last_seq - first_seq
    assert edits >= 3
    assert len(summary_calls(openai_backend)) <= stored // small_context.SUMMARY_EVERY_MESSAGES + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_newest_turn_is_never_summarized_so_editing_its_message_keeps_the_summary(
    owner, session, small_context, held
):
    # Long messages: the prompt holds the newest reply alone, and a call covers all that is due.
    def long(tag):
        return f"{tag} " + " ".join(f"{tag}w{i}" for i in range(150))

    points = set()
    for turn in range(20):
        reply(owner, session, long(f"q{turn}"))
        run_held(held)
        current = Session.objects.get(pk=session.pk)
        summary = summary_for_session(session=current)
        if summary is not None:
            assert summary.seq <= current.head_seq - 2, turn  # the message and its reply, never
            points.add(summary.seq)
    assert len(points) >= 2
    before = summary_for_session(session=Session.objects.get(pk=session.pk))
    newest_user = Session.objects.get(pk=session.pk).head_seq - 1
    reply(owner, session, long("edited"), edit_seq=newest_user)  # the answer to a message cut in the prompt
    assert summary_for_session(session=Session.objects.get(pk=session.pk)) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_a_due_reply_still_queues_its_summary(owner, session, small_context, cache_on_own_redis, held):
    chat(owner, session, 40)
    cache_on_own_redis.stop()
    reply(owner, session, "and now?")
    assert len(held) == 1

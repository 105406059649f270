"""summary_refresh: the background job that summarizes what fell out of a branch's window."""

import pytest

from conversation import tokens
from conversation.branches.edits import utterance_edit, utterance_regenerate_prepare
from conversation.branches.head import session_switch
from conversation.models import ContextSummary, Session, TokenUsageDay
from conversation.replies.turn import prompt_for_session
from conversation.sessions.lifecycle import session_clear, session_delete, session_trash
from conversation.summaries import services, trigger
from conversation.summaries.maker import GAP
from conversation.summaries.selectors import summary_for_session
from conversation.summaries.services import summary_edit, summary_refresh
from tests.conversation.summaries.conftest import chat, summary_calls

pytestmark = pytest.mark.django_db


def refresh_until_done(session) -> int:
    """Run the job as its task does (again while it says more is left); the summaries stored."""
    stored = 0
    while (result := summary_refresh(session_id=session.pk)).summary is not None:
        stored += 1
        if not result.more:
            break
    return stored


def prompt_text(session) -> str:
    session = Session.objects.select_related("persona").get(pk=session.pk)
    prompt, _ = prompt_for_session(session=session)
    return "\n".join(m["content"] for m in prompt.messages)


def test_nothing_is_made_while_fewer_than_n_messages_fell_out(owner, session, small_context):
    chat(owner, session, 8)
    assert summary_refresh(session_id=session.pk).summary is None
    assert not ContextSummary.objects.exists()


def test_the_offline_summary_covers_the_dropped_messages_and_the_next_prompt_holds_it(owner, session, small_context):
    chat(owner, session, 40)
    result = summary_refresh(session_id=session.pk)
    summary = result.summary
    assert summary is not None
    assert summary.made_by == "offline"
    assert summary.tokens <= small_context.SUMMARY_MAX_TOKENS
    prompt = prompt_for_session(session=Session.objects.select_related("persona").get(pk=session.pk))[0]
    assert prompt.summary == summary
    assert prompt.first_seq > summary.seq
    assert summary.messages == summary.seq  # one branch: every message up to its point


def test_the_offline_summary_is_deterministic(owner, small_context):
    from conversation.sessions.create import session_create

    texts = []
    for _ in range(2):
        session = session_create(user=owner)
        chat(owner, session, 40)
        texts.append(summary_refresh(session_id=session.pk).summary.text)
    assert texts[0] == texts[1]
    assert texts[0].splitlines()[-1].startswith(("User: old message", "Assistant: old message"))


def test_the_offline_summary_keeps_the_owners_edit_on_top_of_the_next_ones(owner, session, small_context):
    chat(owner, session, 40, words=3)
    summary_refresh(session_id=session.pk)
    edited = "Lisbon, May, two people.\nHotel in Alfama."
    summary_edit(user=owner, session_id=session.pk, text=edited)
    for start in (41, 81):  # two summaries after the edit
        chat(owner, session, 40, start=start, words=3, tag="new")
        refresh_until_done(session)
    session.refresh_from_db()
    newest = summary_for_session(session=session)
    assert newest.edited_at is None
    assert newest.messages > 80
    assert newest.text.splitlines()[:3] == [*edited.splitlines(), GAP]


def test_the_model_is_called_at_most_once_per_n_dropped_messages(owner, session, small_context, openai_backend):
    chat(owner, session, 100)
    stored = refresh_until_done(session)
    session.refresh_from_db()
    newest = summary_for_session(session=session)
    prompt = prompt_for_session(session=Session.objects.select_related("persona").get(pk=session.pk))[0]
    dropped = prompt.first_seq - 1
    calls = summary_calls(openai_backend)
    assert stored == len(calls) >= 1
    assert len(calls) <= dropped // small_context.SUMMARY_EVERY_MESSAGES + 1
    assert newest.messages == newest.seq
    # Each call's prompt fits the default budget, and asks for at most SUMMARY_MAX_TOKENS.
    assert all(c["max_tokens"] == small_context.SUMMARY_MAX_TOKENS for c in calls)
    for call in calls:
        cost = sum(tokens.message_tokens(tokens.text_tokens(m["content"])) for m in call["messages"])
        assert cost + tokens.PROMPT_OVERHEAD_TOKENS <= 500
    # Incremental: each call after the first carries the previous summary (the server's echo).
    assert "The summary so far:\n(none yet)" in calls[0]["messages"][1]["content"]
    assert "The summary so far:\nEcho:" in calls[-1]["messages"][1]["content"]
    # Each call counts in the owner's day, with the usage the server reported.
    day = TokenUsageDay.objects.get(user=owner)
    assert (day.calls, day.estimated_calls, day.prompt_tokens) == (len(calls), 0, 11 * len(calls))


def test_a_thousand_messages_dropped_at_once_take_one_call_a_run(owner, session, small_context, openai_backend):
    chat(owner, session, 1000, words=4)
    first = summary_refresh(session_id=session.pk)
    assert len(summary_calls(openai_backend)) == 1
    assert first.more  # the task queues the next run
    assert first.summary.messages >= small_context.SUMMARY_EVERY_MESSAGES


def test_each_call_covers_at_least_n_messages_however_long_they_are(owner, session, small_context, openai_backend):
    chat(owner, session, 60, words=120)  # each message alone about half the summarizer's budget
    covered = 0
    while (result := summary_refresh(session_id=session.pk)).summary is not None:
        assert result.summary.messages - covered >= small_context.SUMMARY_EVERY_MESSAGES
        covered = result.summary.messages
    calls = summary_calls(openai_backend)
    assert len(calls) >= 2
    for call in calls:
        assert call["messages"][1]["content"].count("User: old message") >= 5  # 10 messages, every other a user's
        cost = sum(tokens.message_tokens(tokens.text_tokens(m["content"])) for m in call["messages"])
        assert cost + tokens.PROMPT_OVERHEAD_TOKENS <= 500  # the summarizer's budget


def test_a_chat_growing_turn_by_turn_is_summarized_ahead_and_no_message_falls_out_unsummarized(
    owner, session, small_context, openai_backend
):
    # Short messages: the prompt holds about 35, more than a call's 2N plus the newest turn.
    every, overlaps, points = small_context.SUMMARY_EVERY_MESSAGES, [], []
    for turn in range(100):
        chat(owner, session, 2, start=2 * turn + 1, words=1)
        refresh_until_done(session)  # the job, after each reply
        prompt = prompt_for_session(session=Session.objects.select_related("persona").get(pk=session.pk))[0]
        if prompt.summary is None:
            assert prompt.first_seq == 1
            continue
        # One branch: a message's seq is its number. Every message is in the prompt or the summary.
        assert prompt.first_seq <= prompt.summary.seq + 1, turn
        assert prompt.summary.seq <= 2 * turn + 2 - trigger.KEEP_MESSAGES  # the newest turn never
        overlaps.append(prompt.covered)
        if not points or points[-1] != prompt.summary.messages:
            points.append(prompt.summary.messages)
    calls = summary_calls(openai_backend)
    assert len(calls) == len(points)
    assert len(calls) <= 200 // (2 * every) + 1
    assert all(later - earlier >= 2 * every for earlier, later in zip([0, *points[:-1]], points, strict=True))
    assert max(overlaps) > every  # made ahead: what the prompt still held whole


def test_an_edited_summary_is_used_and_kept_until_a_newer_one_made_from_it(
    owner, session, small_context, openai_backend
):
    chat(owner, session, 40)
    refresh_until_done(session)
    session.refresh_from_db()
    made = summary_for_session(session=session)
    summary_edit(user=owner, session_id=session.pk, text="The owner's own words about the plan.")
    assert "The owner's own words about the plan." in prompt_text(session)
    assert summary_refresh(session_id=session.pk).summary is None  # nothing new dropped: kept
    assert ContextSummary.objects.get(pk=made.pk).text == "The owner's own words about the plan."
    chat(owner, session, 30, start=41, tag="new")
    openai_backend.requests.clear()
    newer = summary_refresh(session_id=session.pk).summary
    assert newer.seq > made.seq
    [call] = summary_calls(openai_backend)  # made from the edit
    assert "The summary so far:\nThe owner's own words about the plan.\n" in call["messages"][1]["content"]
    assert ContextSummary.objects.get(pk=made.pk).edited_at is not None


def test_a_summary_belongs_to_its_branch_and_an_edit_at_message_5_carries_nothing_after_it(
    owner, session, small_context, openai_backend
):
    chat(owner, session, 100)
    assert refresh_until_done(session) >= 1
    utterance_edit(user=owner, session_id=session.pk, seq=5, text="a fresh start", client_id="edit-5")
    session.refresh_from_db()
    assert summary_for_session(session=session) is None
    text = prompt_text(session)
    assert "a fresh start" in text
    assert not any(f"old message {n} " in text or f"old{n}word" in text for n in range(5, 101))
    # The new branch grows past its window: its own summary holds nothing of the old branch after 5.
    chat(owner, session, 60, start=6, tag="new")
    openai_backend.requests.clear()
    assert refresh_until_done(session) >= 1
    session.refresh_from_db()
    summary = summary_for_session(session=session)
    assert summary.branch == session.head_branch
    sent = "\n".join(m["content"] for call in summary_calls(openai_backend) for m in call["messages"])
    text = prompt_text(session)
    for n in range(5, 101):
        for where in (sent, text, summary.text):
            assert f"old message {n} " not in where
            assert f"old{n}word" not in where
    assert "old message 1 " in sent or "old message 1 " in summary_calls(openai_backend)[0]["messages"][1]["content"]


def test_a_session_deleted_or_trashed_or_cleared_during_the_call_stores_nothing(
    owner, session, small_context, monkeypatch
):
    chat(owner, session, 40)
    make = services.summary_make
    for action in (session_clear, session_trash, session_delete):

        def meanwhile(action=action, **kwargs):
            made = make(**kwargs)
            action(user=owner, session_id=session.pk)
            return made

        monkeypatch.setattr(services, "summary_make", meanwhile)
        assert summary_refresh(session_id=session.pk).summary is None
        assert not ContextSummary.objects.exists()
        if action is session_clear:
            chat(owner, session, 40, start=41)
        if action is session_trash:
            from conversation.sessions.lifecycle import session_restore

            session_restore(user=owner, session_id=session.pk)


def test_a_cleared_chat_loses_its_summaries(owner, session, small_context):
    chat(owner, session, 40)
    assert summary_refresh(session_id=session.pk).summary is not None
    session_clear(user=owner, session_id=session.pk)
    chat(owner, session, 4, start=41)
    session.refresh_from_db()
    assert summary_for_session(session=session) is None


def test_a_second_worker_racing_stores_once(owner, session, small_context, monkeypatch):
    chat(owner, session, 40)
    make = services.summary_make

    def raced(**kwargs):
        made = make(**kwargs)
        monkeypatch.setattr(services, "summary_make", make)
        services.cache.delete(services.MAKING_KEY.format(session.pk))  # the other worker got in
        assert summary_refresh(session_id=session.pk).summary is not None
        return made

    monkeypatch.setattr(services, "summary_make", raced)
    assert summary_refresh(session_id=session.pk).summary is None
    assert ContextSummary.objects.count() == 1


def test_the_new_summary_is_announced_to_the_session_after_commit(
    owner, session, small_context, django_capture_on_commit_callbacks, monkeypatch
):
    chat(owner, session, 40)
    published = []
    monkeypatch.setattr(services.live, "publish_now", lambda events, **_: published.extend(events))
    with django_capture_on_commit_callbacks() as callbacks:
        summary = summary_refresh(session_id=session.pk).summary
    assert published == []  # not before the commit
    for callback in callbacks:
        callback()
    [(group, event)] = published
    assert group == f"session.{session.pk}"
    assert event["type"] == "context.changed"
    assert event["summary"]["seq"] == summary.seq


def test_summaries_off_make_none(owner, session, small_context):
    small_context.SUMMARY_EVERY_MESSAGES = 0
    chat(owner, session, 40)
    assert summary_refresh(session_id=session.pk).summary is None


def test_a_run_made_from_a_summary_no_longer_the_newest_stores_nothing_and_loses_no_edit(
    owner, session, small_context, monkeypatch
):
    chat(owner, session, 60)
    first = summary_refresh(session_id=session.pk).summary
    make = services.summary_make

    def overtaken(**kwargs):
        made = make(**kwargs)
        monkeypatch.setattr(services, "summary_make", make)
        services.cache.delete(services.MAKING_KEY.format(session.pk))
        newer = summary_refresh(session_id=session.pk).summary  # another run stores the next one...
        summary_edit(user=owner, session_id=session.pk, text="Kept by hand.")  # ...which its owner rewrites
        assert newer is not None
        return made

    chat(owner, session, 30, start=61)
    monkeypatch.setattr(services, "summary_make", overtaken)
    assert first is not None
    assert summary_refresh(session_id=session.pk).summary is None
    assert summary_for_session(session=Session.objects.get(pk=session.pk)).text == "Kept by hand."


def test_with_redis_down_a_due_summary_is_still_made(owner, session, small_context, cache_on_own_redis):
    # The cache answers None, not an error, while Redis is down: no claim is then taken as none held.
    chat(owner, session, 40)
    cache_on_own_redis.stop()
    assert summary_refresh(session_id=session.pk).summary is not None


def refresh_while(monkeypatch, session, meanwhile):
    """The job, with `meanwhile` done after the model answered and before the summary is stored."""
    make = services.summary_make

    def made_then(**kwargs):
        made = make(**kwargs)
        meanwhile()
        return made

    monkeypatch.setattr(services, "summary_make", made_then)
    return summary_refresh(session_id=session.pk).summary


def test_a_regeneration_during_the_call_keeps_the_summary_it_paid_for(
    owner, session, small_context, monkeypatch, openai_backend
):
    chat(owner, session, 40)
    stored = refresh_while(
        monkeypatch, session, lambda: utterance_regenerate_prepare(user=owner, session_id=session.pk, seq=40)
    )
    assert len(summary_calls(openai_backend)) == 1
    assert stored is not None
    assert summary_for_session(session=Session.objects.get(pk=session.pk)) == stored  # its point is shared


def test_a_summary_whose_point_an_edit_left_behind_meanwhile_is_kept_on_its_branch(
    owner, session, small_context, monkeypatch, openai_backend
):
    chat(owner, session, 40)
    stored = refresh_while(
        monkeypatch,
        session,
        lambda: utterance_edit(user=owner, session_id=session.pk, seq=3, text="a fresh start", client_id="edit-3"),
    )
    assert stored is not None
    assert stored.seq > 3
    assert summary_for_session(session=Session.objects.get(pk=session.pk)) is None  # not the new branch's
    session_switch(user=owner, session_id=session.pk, seq=40)  # back to the branch it was made on
    assert summary_for_session(session=Session.objects.get(pk=session.pk)) == stored

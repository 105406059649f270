import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from conversation.db_threads import db_async
from conversation.models import ReplyInFlight, Utterance
from conversation.replies.claim import ReplyBusy
from conversation.replies.stream import ReplyDelta, ReplyDone, ReplyStarted, reply_events
from conversation.replies.turn import reply_begin
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_restore, session_trash

# The reply path reaches the ORM through channels' database_sync_to_async, which closes stale
# connections around each call: the data must be committed, not held in a test transaction.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def turn_events(*, user, session_id, text, client_id=None):
    """A turn as the API's reply view takes it: reply_begin on a database thread, then reply_events."""
    turn = await db_async(reply_begin)(user=user, session_id=session_id, text=text, client_id=client_id)
    async for event in reply_events(user=user, turn=turn):
        yield event


def run(user, session, text, client_id=None, *, stop_after_deltas: int | None = None) -> list:
    async def go():
        events = []
        stream = turn_events(user=user, session_id=session.pk, text=text, client_id=client_id)
        async for event in stream:
            events.append(event)
            if stop_after_deltas is not None and sum(isinstance(e, ReplyDelta) for e in events) == stop_after_deltas:
                await stream.aclose()
                break
        return events

    return async_to_sync(go)()


def texts(session) -> list[tuple[str, str]]:
    return list(Utterance.objects.filter(session=session).order_by("seq").values_list("role", "text"))


def test_a_turn_stores_the_message_streams_and_stores_the_reply(owner, session, openai_backend):
    events = run(owner, session, "hello model", client_id="m1")
    assert isinstance(events[0], ReplyStarted)
    assert events[0].user_utterance.text == "hello model"
    assert "".join(e.text for e in events if isinstance(e, ReplyDelta)) == "Echo: hello model"
    done = events[-1]
    assert isinstance(done, ReplyDone)
    assert texts(session) == [("user", "hello model"), ("assistant", "Echo: hello model")]
    meta = done.utterance.metadata
    assert (meta["backend"], meta["model"], meta["prompt_tokens"], meta["completion_tokens"]) == (
        "openai",
        "test-model",
        11,
        3,
    )
    assert meta["latency_ms"] >= meta["ttft_ms"] >= 0
    assert "error" not in meta
    assert "interrupted" not in meta


def test_the_prompt_is_the_persona_and_the_window_ending_with_the_message(owner, openai_backend):
    session = session_create(user=owner, persona="technical-support")
    run(owner, session, "first")
    run(owner, session, "second")
    prompt = openai_backend.requests[-1]["messages"]
    assert prompt[0]["role"] == "system"
    assert prompt[0]["content"].startswith("You are a patient technical support engineer")
    assert [m["content"] for m in prompt[1:]] == ["first", "Echo: first", "second"]


def test_the_users_message_is_kept_when_the_model_fails(owner, session, openai_backend):
    events = run(owner, session, "[500] are you there")
    reply = events[-1].utterance
    assert texts(session)[0] == ("user", "[500] are you there")
    assert "HTTP 500" in reply.metadata["error"]
    assert reply.text == reply.metadata["error"]


def test_a_stream_cut_short_keeps_the_partial_reply(owner, session, openai_backend):
    events = run(owner, session, "[break] one two three")
    reply = events[-1].utterance
    assert reply.text == "Echo: [break]"
    assert "closed the stream" in reply.metadata["error"] or "broke off" in reply.metadata["error"]


def test_connection_refused_ends_the_reply_with_a_clear_message(owner, session, settings):
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9"
    reply = run(owner, session, "anyone?")[-1].utterance
    assert reply.metadata["error"].startswith("Could not connect to the assistant's model server")


def test_closing_the_stream_early_stores_the_partial_reply_marked_interrupted(owner, session, openai_backend):
    run(owner, session, "one two three four five", stop_after_deltas=2)
    reply = Utterance.objects.get(session=session, role="assistant")
    assert reply.text == "Echo: one"
    assert reply.metadata["interrupted"] is True


def test_a_retry_with_the_same_client_id_stores_nothing_new_and_answers_the_stored_reply(
    owner, session, openai_backend
):
    first = run(owner, session, "hello", client_id="c1")
    calls = len(openai_backend.requests)
    again = run(owner, session, "hello", client_id="c1")
    assert len(openai_backend.requests) == calls
    assert again[-1].utterance.pk == first[-1].utterance.pk
    assert Utterance.objects.filter(session=session).count() == 2


def test_the_offline_backend_answers_without_a_model(owner, session):
    reply = run(owner, session, "hi")[-1].utterance
    assert reply.metadata["backend"] == "offline"
    assert "No assistant model is configured" in reply.text


def test_another_users_session_is_not_found(outsider, session):
    from conversation.models import Session

    with pytest.raises(Session.DoesNotExist):
        run(outsider, session, "hi")
    assert not Utterance.objects.exists()


def test_a_retry_after_a_reply_that_failed_asks_the_model_again(owner, session, openai_backend, settings):
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9"  # refused
    failed = run(owner, session, "hello", client_id="c1")[-1].utterance
    assert "error" in failed.metadata
    settings.ASSISTANT_BASE_URL = openai_backend.url
    again = run(owner, session, "hello", client_id="c1")[-1].utterance
    assert again.pk != failed.pk
    assert again.text == "Echo: hello"
    assert again.client_id == "c1:reply:2"
    assert texts(session) == [("user", "hello"), ("assistant", failed.text), ("assistant", "Echo: hello")]
    # ...and once it has succeeded, a further retry answers the stored reply.
    calls = len(openai_backend.requests)
    assert run(owner, session, "hello", client_id="c1")[-1].utterance.pk == again.pk
    assert len(openai_backend.requests) == calls


def test_a_retry_after_an_interrupted_reply_asks_the_model_again(owner, session, openai_backend):
    run(owner, session, "one two three four five", client_id="c1", stop_after_deltas=2)
    again = run(owner, session, "one two three four five", client_id="c1")[-1].utterance
    assert again.text == "Echo: one two three four five"
    assert "interrupted" not in again.metadata


def test_a_second_message_while_a_reply_is_written_is_refused_and_not_stored(owner, session, openai_backend):
    async def go():
        first = turn_events(user=owner, session_id=session.pk, text="[slow] a b c", client_id="m1")
        assert isinstance(await anext(first), ReplyStarted)
        with pytest.raises(ReplyBusy):
            await anext(turn_events(user=owner, session_id=session.pk, text="second", client_id="m2"))
        return [event async for event in first]

    events = async_to_sync(go)()
    assert events[-1].utterance.text == "Echo: [slow] a b c"
    assert texts(session) == [("user", "[slow] a b c"), ("assistant", "Echo: [slow] a b c")]
    # The session is free again once the reply is stored.
    assert run(owner, session, "second", client_id="m2")[-1].utterance.text == "Echo: second"


def test_a_retry_while_the_reply_is_written_joins_it_and_the_model_is_asked_once(owner, session, openai_backend):
    async def go():
        first = turn_events(user=owner, session_id=session.pk, text="[slow] a b c", client_id="m1")
        await anext(first)
        retry = turn_events(user=owner, session_id=session.pk, text="[slow] a b c", client_id="m1")
        started = await anext(retry)
        assert started.joined
        return await asyncio.gather(_rest(first), _rest(retry))

    first_events, retry_events = async_to_sync(go)()
    assert retry_events[-1].utterance.pk == first_events[-1].utterance.pk
    assert len(openai_backend.requests) == 1
    assert texts(session) == [("user", "[slow] a b c"), ("assistant", "Echo: [slow] a b c")]


def test_a_reply_past_its_deadline_is_cut_off_and_stored_with_what_it_has(owner, session, openai_backend, settings):
    settings.ASSISTANT_DEADLINE_SECONDS = 1
    reply = run(owner, session, "[slow] one two three four five six seven")[-1].utterance
    assert reply.text.startswith("Echo:")
    assert reply.text != "Echo: [slow] one two three four five six seven"
    assert "longer than 1 seconds" in reply.metadata["error"]
    assert not ReplyInFlight.objects.exists()


def test_the_model_is_asked_for_at_most_max_tokens(owner, session, openai_backend, settings):
    settings.ASSISTANT_MAX_TOKENS = 123
    run(owner, session, "hi")
    assert openai_backend.requests[-1]["max_tokens"] == 123


def test_the_claim_names_the_message_and_lives_as_long_as_the_reply_state(owner, session, openai_backend):
    from datetime import timedelta

    from django.utils import timezone

    from conversation.replies.progress import reply_state_ttl

    async def claim_while_streaming() -> ReplyInFlight:
        stream = turn_events(user=owner, session_id=session.pk, text="hello", client_id="m1")
        await anext(stream)  # ReplyStarted: the session claimed, the message stored
        claim = await database_sync_to_async(ReplyInFlight.objects.get)(session=session)
        await stream.aclose()
        return claim

    before = timezone.now()
    claim = async_to_sync(claim_while_streaming)()
    assert claim.client_id == "m1"
    assert before <= claim.started_at <= timezone.now()
    assert claim.expires_at - claim.started_at == timedelta(seconds=reply_state_ttl())
    assert not ReplyInFlight.objects.exists()  # released by the reply that stopped before its first word


def test_an_expired_claim_of_a_process_that_died_frees_the_session(owner, session, openai_backend):
    from datetime import timedelta

    from django.utils import timezone

    ReplyInFlight.objects.create(session=session, client_id="ghost", expires_at=timezone.now() - timedelta(seconds=1))
    assert run(owner, session, "hello", client_id="m1")[-1].utterance.text == "Echo: hello"
    assert not ReplyInFlight.objects.filter(session=session).exists()


def test_a_retry_of_a_message_whose_claim_expired_asks_the_model_again(owner, session, openai_backend):
    from datetime import timedelta

    from django.utils import timezone

    # The process answering "m1" died before it stored the message: its claim names m1, expired.
    ReplyInFlight.objects.create(session=session, client_id="m1", expires_at=timezone.now() - timedelta(seconds=1))
    events = run(owner, session, "hello", client_id="m1")
    assert events[0].joined is False
    assert events[-1].utterance.text == "Echo: hello"


async def _rest(stream) -> list:
    return [event async for event in stream]


def test_a_finished_reply_is_stored_through_a_database_outage(owner, session, openai_backend, monkeypatch):
    from django.db import OperationalError

    from conversation.replies import store as reply_store

    store = reply_store._store_reply
    failures = iter([True, True])

    def store_after_an_outage(**kwargs):
        if next(failures, False):
            raise OperationalError("the database is restarting")
        return store(**kwargs)

    monkeypatch.setattr(reply_store, "_store_reply", store_after_an_outage)
    monkeypatch.setattr(reply_store, "STORE_RETRY_PAUSES_SECONDS", (0.01, 0.01, 0.01))
    reply = run(owner, session, "hello", client_id="m1")[-1].utterance
    assert reply.text == "Echo: hello"
    assert texts(session) == [("user", "hello"), ("assistant", "Echo: hello")]
    assert not ReplyInFlight.objects.exists()


def test_a_claim_whose_message_was_never_stored_is_taken_over_by_its_retry(owner, session, openai_backend):
    from datetime import timedelta

    from django.utils import timezone

    # A request claimed the reply to m1, then failed before storing m1 (the database went away).
    ReplyInFlight.objects.create(session=session, client_id="m1", expires_at=timezone.now() + timedelta(minutes=5))
    reply = run(owner, session, "hello", client_id="m1")[-1].utterance
    assert reply.text == "Echo: hello"
    assert not ReplyInFlight.objects.exists()


def test_a_caller_gone_right_after_the_start_frees_the_session(owner, session, openai_backend):
    run(owner, session, "hello", client_id="m1", stop_after_deltas=0)  # closed at ReplyStarted
    assert not ReplyInFlight.objects.exists()
    assert texts(session) == [("user", "hello")]
    # The retry asks the model, rather than joining a reply that nobody is writing.
    assert run(owner, session, "hello", client_id="m1")[-1].utterance.text == "Echo: hello"


def test_a_session_trashed_while_its_reply_is_written_comes_back_free(owner, session, openai_backend):
    async def go():
        stream = turn_events(user=owner, session_id=session.pk, text="[slow] a b c", client_id="m1")
        assert isinstance(await anext(stream), ReplyStarted)
        await database_sync_to_async(session_trash)(user=owner, session_id=session.pk)
        return [event async for event in stream]

    async_to_sync(go)()
    session_restore(user=owner, session_id=session.pk)
    assert texts(session) == [("user", "[slow] a b c")]  # the reply was not stored into the trash
    assert not ReplyInFlight.objects.filter(session=session).exists()
    assert run(owner, session, "again", client_id="m2")[-1].utterance.text == "Echo: again"


def test_whoever_hears_of_the_stored_reply_finds_the_session_free(owner, session, monkeypatch):
    from conversation import context

    claimed_when_announced = []
    extend = context.context_window_extend

    def announce(**kwargs):  # the stored reply's events go out from here, after the commit
        claimed_when_announced.append(ReplyInFlight.objects.filter(session=session).exists())
        return extend(**kwargs)

    monkeypatch.setattr(context, "context_window_extend", announce)

    run(owner, session, "hello", client_id="m1")

    assert claimed_when_announced == [True, False]  # the question while it is answered; then the reply


@pytest.mark.parametrize("length", [72, 73, 74, 75, 80])
def test_a_message_with_a_client_id_up_to_the_limit_keeps_its_reply_and_every_retry(
    owner, session, openai_backend, settings, length
):
    # 74 + ":reply" and 72 + ":reply:2" are the longest ids the plain form holds within the limit.
    client_id = "c" * (length - 1) + "z"
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9"  # refused: every attempt ends in an error
    stored = [run(owner, session, "hello", client_id=client_id)[-1].utterance for _ in range(3)]
    assert [("error" in reply.metadata) for reply in stored] == [True, True, True]
    assert len({reply.client_id for reply in stored}) == 3
    assert all(len(reply.client_id) <= settings.MAX_CLIENT_ID_CHARS for reply in stored)
    settings.ASSISTANT_BASE_URL = openai_backend.url
    fourth = run(owner, session, "hello", client_id=client_id)[-1].utterance
    assert fourth.text == "Echo: hello"
    assert [role for role, _ in texts(session)] == ["user", "assistant", "assistant", "assistant", "assistant"]
    # ...and a retry after the success answers it, whichever form its id took.
    calls = len(openai_backend.requests)
    assert run(owner, session, "hello", client_id=client_id)[-1].utterance.pk == fourth.pk
    assert len(openai_backend.requests) == calls

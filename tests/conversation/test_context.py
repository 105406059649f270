import threading
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from conversation import context
from conversation.context import context_key, context_window_get
from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_clear, session_delete
from conversation.tokens import text_tokens
from tests.helpers import say


def fresh(session) -> Session:
    return Session.objects.get(pk=session.pk)


def raw_redis() -> redis.Redis:
    return redis.Redis.from_url(django_settings.REDIS_URL)


def test_a_miss_rebuilds_with_one_query_then_hits_without_any(owner, session, django_assert_num_queries):
    say(owner, session, "one", "two")
    current = fresh(session)
    with django_assert_num_queries(1):
        window = context_window_get(session=current)
    assert (window.cached, [m["text"] for m in window.messages]) == (False, ["one", "two"])
    with django_assert_num_queries(0):
        again = context_window_get(session=current)
    assert again.cached
    assert again.messages == window.messages


def test_the_window_is_the_last_n_final_utterances_in_order(owner, session, settings):
    settings.CONTEXT_WINDOW_SIZE = 3
    say(owner, session, "a", "b", "c", "d")
    say(owner, session, "typing", is_final=False)
    assert [m["seq"] for m in context_window_get(session=fresh(session)).messages] == [2, 3, 4]


def test_an_append_writes_the_next_window_after_commit(owner, session, django_capture_on_commit_callbacks):
    say(owner, session, "one")
    context_window_get(session=fresh(session))  # cached at last_seq 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        say(owner, session, "two", role="assistant")
        assert not raw_redis().keys("*ctx*:2")  # nothing reaches the cache before the commit
    assert len(callbacks) == 1  # the window and the live events, in one Redis round trip
    window = context_window_get(session=fresh(session))
    assert window.cached
    assert [(m["role"], m["text"]) for m in window.messages] == [("user", "one"), ("assistant", "two")]
    # The old window is dropped.
    assert not cache.get(context_key(user_id=owner.pk, session_id=session.pk, epoch=0, last_seq=1))


def extend_after(owner, session, capture, *texts, **fields) -> None:
    """Cache the session's window, then append `texts` so that the window is extended in Redis."""
    context_window_get(session=fresh(session))
    with capture(execute=True):
        say(owner, session, *texts, **fields)


def test_an_extended_window_keeps_the_last_n_in_order(owner, session, settings, django_capture_on_commit_callbacks):
    settings.CONTEXT_WINDOW_SIZE = 3
    say(owner, session, "a", "b")
    extend_after(owner, session, django_capture_on_commit_callbacks, "c", "d")
    window = context_window_get(session=fresh(session))
    assert window.cached
    assert [(m["text"], m["seq"]) for m in window.messages] == [("b", 2), ("c", 3), ("d", 4)]
    assert window.messages == context.context_window_rebuild(session_id=session.pk)[2]


def test_an_extended_window_keeps_every_character_and_type(owner, session, django_capture_on_commit_callbacks):
    tricky = 'Grüße / "quoted" \\ back\nslash 😀 </script> 1e5'
    say(owner, session, "first")
    extend_after(owner, session, django_capture_on_commit_callbacks, tricky, role="assistant")
    window = context_window_get(session=fresh(session))
    assert window.cached
    assert window.messages[-1] == {"role": "assistant", "text": tricky, "seq": 2, "tokens": text_tokens(tricky)}


def test_an_append_of_interim_text_moves_an_empty_window_to_the_new_state(
    owner, session, django_capture_on_commit_callbacks
):
    extend_after(owner, session, django_capture_on_commit_callbacks, "typing", is_final=False)
    window = context_window_get(session=fresh(session))
    assert (window.cached, window.last_seq, window.messages) == (True, 1, [])


@pytest.mark.parametrize(
    "cache_config",
    [
        # The embedded default: the window is extended in Python.
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # A cache on another Redis server than the channel layer's: its own round trip for the script.
        "own redis",
    ],
)
def test_other_caches_extend_the_window_too(
    owner, session, settings, request, cache_config, django_capture_on_commit_callbacks
):
    if cache_config == "own redis":
        request.getfixturevalue("cache_on_own_redis")
    else:
        settings.CACHES = {"default": cache_config}
    say(owner, session, "one")
    extend_after(owner, session, django_capture_on_commit_callbacks, "two", role="assistant")
    window = context_window_get(session=fresh(session))
    assert window.cached
    assert [(m["role"], m["text"], m["seq"]) for m in window.messages] == [("user", "one", 1), ("assistant", "two", 2)]


def test_an_append_makes_one_redis_round_trip(owner, session, django_capture_on_commit_callbacks, monkeypatch):
    context_window_get(session=fresh(session))
    sent = []
    real_send = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(
        redis.connection.AbstractConnection,
        "send_packed_command",
        lambda self, command, *args, **kwargs: sent.append(command) or real_send(self, command, *args, **kwargs),
    )
    with django_capture_on_commit_callbacks(execute=True):
        say(owner, session, "one", "two")
    assert len(sent) == 1  # the window's script and the three live events, pipelined
    assert context_window_get(session=fresh(session)).cached


def test_a_clear_is_never_read_from_the_cache(owner, session, django_capture_on_commit_callbacks):
    say(owner, session, "secret")
    context_window_get(session=fresh(session))
    with django_capture_on_commit_callbacks(execute=True):
        session_clear(user=owner, session_id=session.pk)
    assert context_window_get(session=fresh(session)).messages == []
    assert raw_redis().keys(f"*ctx:*{session.pk}*") == [b"chat:1:" + f"ctx:{owner.pk}:{session.pk}:1:1".encode()]


def test_a_delete_drops_the_cached_window(owner, session, django_capture_on_commit_callbacks):
    say(owner, session, "bye")
    context_window_get(session=fresh(session))
    with django_capture_on_commit_callbacks(execute=True):
        session_delete(user=owner, session_id=session.pk)
    assert raw_redis().keys(f"*ctx:*{session.pk}*") == []


def test_the_ttl_slides_on_every_read(owner, session, settings):
    settings.CONTEXT_TTL_SECONDS = 3
    say(owner, session, "hello")
    current = fresh(session)
    context_window_get(session=current)
    key = raw_redis().keys(f"*ctx:*{session.pk}*")[0]
    raw_redis().pexpire(key, 1000)  # the clock moved on: a second of its three is left
    assert context_window_get(session=current).cached
    assert raw_redis().pttl(key) > 2500


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reads_under_concurrent_appends_and_a_clear_always_equal_the_database_window(owner, settings):
    settings.CONTEXT_WINDOW_SIZE = 5
    session = session_create(user=owner)
    texts: dict[int, str] = {}
    clear_point: list[int] = []
    reads: list = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def appender(n: int) -> None:
        try:
            for i in range(40):
                result = say(owner, session, f"w{n}-{i}")
                texts[result.utterances[0].seq] = f"w{n}-{i}"
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        try:
            while not stop.is_set():
                window = context_window_get(session=Session.objects.get(pk=session.pk))
                reads.append(window)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def clearer() -> None:
        try:
            time.sleep(0.3)
            cleared = session_clear(user=owner, session_id=session.pk)
            clear_point.append(cleared.last_seq)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=appender, args=(n,)) for n in range(4)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in [*readers, *writers, threading.Thread(target=clearer)]:
        thread.start()
    for thread in [*writers]:
        thread.join()
    time.sleep(0.5)
    stop.set()
    for thread in readers:
        thread.join()

    assert errors == []
    assert clear_point
    assert len(reads) > 50
    assert any(r.cached for r in reads)
    assert any(not r.cached for r in reads)
    for window in reads:
        floor = 0 if window.epoch == 0 else clear_point[0]
        expected = list(range(max(floor + 1, window.last_seq - 4), window.last_seq + 1))
        assert [m["seq"] for m in window.messages] == expected, window
        assert all(m["text"] == texts[m["seq"]] for m in window.messages)


def test_with_redis_down_windows_come_from_the_database_quickly(owner, session, cache_on_own_redis, caplog):
    say(owner, session, "still here")
    assert not context_window_get(session=fresh(session)).cached
    assert context_window_get(session=fresh(session)).cached

    cache_on_own_redis.stop()
    started = time.monotonic()
    window = context_window_get(session=fresh(session))
    assert time.monotonic() - started < 1.0
    assert (window.cached, [m["text"] for m in window.messages]) == (False, ["still here"])
    assert "context cache unreachable" in caplog.text

    cache_on_own_redis.start()
    context_window_get(session=fresh(session))
    assert context_window_get(session=fresh(session)).cached


def test_a_window_is_keyed_by_its_owner(owner, outsider, session):
    say(owner, session, "my secret")
    current = fresh(session)
    context_window_get(session=current)
    state = {"session_id": session.pk, "epoch": current.context_epoch, "last_seq": current.last_seq}
    assert raw_redis().exists(cache.make_key(context.context_key(user_id=owner.pk, **state)))
    assert not raw_redis().exists(cache.make_key(context.context_key(user_id=outsider.pk, **state)))


def test_every_state_of_a_session_has_a_key_of_its_own(owner, session):
    other = session_create(user=owner)
    keys = {
        context.context_key(user_id=owner.pk, session_id=session.pk, epoch=epoch, last_seq=last_seq)
        for epoch in (0, 1)
        for last_seq in (0, 1, 10)
    }
    assert len(keys) == 6  # an append (last_seq) or a clear (epoch) names a new key
    assert context.context_key(user_id=owner.pk, session_id=other.pk, epoch=0, last_seq=0) not in keys
    # And the same state, the same key.
    assert context.context_key(user_id=owner.pk, session_id=session.pk, epoch=1, last_seq=10) in keys


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_the_api_and_the_reply_path_still_answer(owner, cache_on_own_redis):
    from rest_framework.test import APIClient

    from tests.helpers import token_client

    session = session_create(user=owner)
    say(owner, session, "before the outage")
    client: APIClient = token_client(owner)
    assert client.get(f"/api/sessions/{session.pk}/context/").json()["cached"] is False
    assert client.get(f"/api/sessions/{session.pk}/context/").json()["cached"] is True

    cache_on_own_redis.stop()
    started = time.monotonic()
    context_body = client.get(f"/api/sessions/{session.pk}/context/").json()
    reply = client.post(
        f"/api/sessions/{session.pk}/reply/", {"text": "still there?"}, format="json", HTTP_ACCEPT="application/json"
    )
    assert time.monotonic() - started < 5
    assert context_body["cached"] is False
    assert [m["text"] for m in context_body["messages"]] == ["before the outage"]
    assert reply.status_code == 200
    assert reply.json()["reply"]["metadata"]["backend"] == "offline"

    cache_on_own_redis.start()
    client.get(f"/api/sessions/{session.pk}/context/")
    assert client.get(f"/api/sessions/{session.pk}/context/").json()["cached"] is True

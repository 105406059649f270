"""The window-counting throttle on the test run's Redis and on the local-memory cache (the
embedded default): the limit holds, a refused call is not counted, the previous window weighs
in, Retry-After is honest, the stored state does not grow with the calls, and Redis down lets
calls through."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from chatproject.api import throttling
from chatproject.api.throttling import CountingRateThrottle


class FiveAMinute(CountingRateThrottle):
    scope = "test"
    THROTTLE_RATES = {"test": "5/min"}

    def get_cache_key(self, request, view):
        return f"throttle_test_{request.user.pk}"


@pytest.fixture(params=["redis", "locmem"])
def throttle_cache(request, monkeypatch):
    backend = cache if request.param == "redis" else LocMemCache("throttle-tests", {})
    backend.clear()
    monkeypatch.setattr(CountingRateThrottle, "cache", backend)
    return backend


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def calls(clock: Clock, n: int, *, user: int = 1) -> list[bool]:
    request = SimpleNamespace(user=SimpleNamespace(pk=user))
    answers = []
    for _ in range(n):
        throttle = FiveAMinute()
        throttle.timer = clock
        answers.append(throttle.allow_request(request, None))
    return answers


def test_it_allows_the_rate_and_refuses_the_next(throttle_cache):
    clock = Clock(6000.0)  # the start of a window
    assert calls(clock, 7) == [True] * 5 + [False] * 2
    assert calls(clock, 1, user=2) == [True]  # another user's budget is their own


def test_refused_calls_are_not_counted(throttle_cache):
    clock = Clock(6000.0)
    calls(clock, 50)
    clock.now = 6060.0  # the next window: the previous one's five weigh fully, not fifty
    assert calls(clock, 1) == [False]
    clock.now = 6090.0  # half of it still covered: 2.5 of the previous
    assert calls(clock, 3) == [True, True, False]


def test_the_previous_window_weighs_as_much_as_the_sliding_window_still_covers(throttle_cache):
    clock = Clock(6030.0)
    assert calls(clock, 5) == [True] * 5
    clock.now = 6066.0  # 90% of the previous window still covered: 4.5 of 5
    assert calls(clock, 1) == [False]
    clock.now = 6114.0  # 10% covered: 0.5
    assert calls(clock, 5) == [True] * 4 + [False]


def test_retry_after_is_when_a_call_fits_again(throttle_cache):
    clock = Clock(6000.0)
    request = SimpleNamespace(user=SimpleNamespace(pk=1))
    calls(clock, 5)
    throttle = FiveAMinute()
    throttle.timer = clock
    assert throttle.allow_request(request, None) is False
    assert throttle.wait() == 60  # the window alone is full: its end
    clock.now = 6060.0
    throttle = FiveAMinute()
    throttle.timer = clock
    assert throttle.allow_request(request, None) is False
    wait = throttle.wait()
    assert 0 < wait <= 60
    clock.now += wait
    assert calls(clock, 1) == [True]


def stored(backend) -> dict:
    if isinstance(backend, LocMemCache):
        return {key: backend.get(key.split(":", 2)[-1]) for key in backend._cache}
    return {key: backend.get(key) for key in backend.keys("*")}


def test_what_it_stores_does_not_grow_with_the_calls(throttle_cache):
    clock = Clock(6000.0)
    for n in range(100):
        clock.now = 6000.0 + n * 0.9  # over two windows
        calls(clock, 1)
    entries = stored(throttle_cache)
    assert len(entries) == 2  # a counter per window
    assert sorted(entries.values()) == [2, 5]  # the second window weighs the first: 2 more fit


def test_redis_down_lets_calls_through(monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise throttling.redis.ConnectionError("down")

    monkeypatch.setattr(throttling, "_counts", unreachable)
    assert calls(Clock(6000.0), 10) == [True] * 10
    assert "throttle counters unreachable" in caplog.text

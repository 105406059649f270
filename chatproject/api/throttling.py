"""Throttles of the API and the socket: rates in settings.REST_FRAMEWORK, counted in the cache.

DRF's own throttles keep a list of the time of every request in the window, and read and write it
whole on each request: at 1,200 calls a minute that is 1,200 timestamps pickled and sent to Redis
and back per call, costing more than the call's own work. These count instead: one counter per
fixed window, and the previous window's count weighed by how much of it a window sliding to now
still covers (the "sliding window counter" estimate). One round trip to Redis per call, constant size.
"""

import contextlib
import logging
import math

import redis
from django.core.cache import cache as default_cache
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from chatproject.redis_clients import cache_redis

logger = logging.getLogger(__name__)


def _counts(cache, current: str, previous: str, ttl: int) -> tuple[int, int]:
    """Adds one to the counter `current` (created for ttl seconds) and reads `previous`:
    (current's new count, previous count)."""
    client = cache_redis(cache=cache)
    if client is not None:
        current_key, previous_key = cache.make_and_validate_key(current), cache.make_and_validate_key(previous)
        pipe = client.pipeline(transaction=False)
        pipe.set(current_key, 0, ex=ttl, nx=True)
        pipe.incr(current_key)
        pipe.get(previous_key)
        _, count, before = pipe.execute()
        return int(count), int(before or 0)
    cache.add(current, 0, ttl)
    return cache.incr(current), int(cache.get(previous) or 0)


class CountingRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rules (rate from the scope, key from get_cache_key, refused calls not
    counted, 429 with Retry-After) over window counters."""

    cache = default_cache

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        current = f"{self.key}:{window}"
        try:
            count, before = _counts(self.cache, current, f"{self.key}:{window - 1}", int(self.duration) * 2 + 1)
        except (redis.RedisError, OSError):
            # Redis down must not fail a call (as the cache's IGNORE_EXCEPTIONS elsewhere): let it through.
            logger.warning("throttle counters unreachable; %s let through", self.key, exc_info=True)
            return True
        self.elapsed = self.now - window * self.duration
        self.count, self.before = count, before
        if self._estimate(count) <= self.num_requests:
            return True
        with contextlib.suppress(ValueError, redis.RedisError, OSError):
            self.cache.decr(current)  # a refused call is not counted, as DRF's throttles do
        return False

    def _estimate(self, count: int, *, later: float = 0.0) -> float:
        covered = max(0.0, 1 - (self.elapsed + later) / self.duration)
        return self.before * covered + count

    def wait(self) -> float:
        """Seconds until one more call fits: the previous window's weight shrinking as time goes,
        or the next window when the current one alone is full."""
        count = self.count - 1  # the refused call, taken back
        if count + 1 > self.num_requests:
            return math.ceil(self.duration - self.elapsed) or 1
        if self.before == 0:
            return 1
        # before * (1 - (elapsed + t) / duration) + count + 1 <= num_requests
        later = self.duration * (1 - (self.num_requests - count - 1) / self.before) - self.elapsed
        return max(1, math.ceil(later))


class ScopedCountingRateThrottle(ScopedRateThrottle, CountingRateThrottle):
    """DRF's ScopedRateThrottle (the view's throttle_scope names the rate), counted as above: the
    API's default throttle."""


# Reads and writes are throttled in separate scopes, api_read and api_write. (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every view using it.)
class ReadWriteThrottled:
    def get_throttles(self):
        self.throttle_scope = "api_read" if self.request.method in ("GET", "HEAD", "OPTIONS") else "api_write"
        return super().get_throttles()

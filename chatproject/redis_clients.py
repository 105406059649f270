"""The redis-py clients of sync code: the cache's (django-redis) and one on the channel layer's Redis.

Both fail within REDIS_SOCKET_TIMEOUT_SECONDS (settings give the cache the same timeouts), so Redis
trouble holds a request that long at most.
"""

import functools

import redis
from django.conf import settings
from django.core.cache import BaseCache, caches


def cache_redis(*, cache: BaseCache | None = None) -> redis.Redis | None:
    """The redis-py client behind `cache` (the default cache) when it is django-redis, or None with
    another backend: for commands the cache API lacks (GETEX, a pipeline, a script); their keys go
    through cache.make_key as the cache's own do. The client django-redis' get_redis_connection gives
    for the cache's alias, taken as it takes it."""
    cache = caches["default"] if cache is None else cache
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True) if get_client is not None else None


def layer_redis() -> redis.Redis:
    """A client on the channel layer's Redis (REDIS_URL), for publishing from sync code
    (chatproject.channel_layer.group_publishes)."""
    return _client(settings.REDIS_URL, settings.REDIS_SOCKET_TIMEOUT_SECONDS)


@functools.cache
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def layer_on_cache_redis() -> bool:
    """Whether the channel layer is the cache's Redis server (both on REDIS_URL, as settings make
    them), so that a pipeline of the cache can carry the layer's messages (Pub/Sub channels span the
    server's databases)."""
    return bool(settings.REDIS_URL) and settings.CACHES["default"].get("LOCATION") == settings.REDIS_URL

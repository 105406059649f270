"""chatproject.redis_clients: the redis-py clients of sync code."""

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django_redis import get_redis_connection

from chatproject.redis_clients import cache_redis, layer_on_cache_redis, layer_redis


def test_the_caches_client_is_the_one_django_redis_documents():
    assert cache_redis() is get_redis_connection("default")
    assert cache_redis(cache=cache) is get_redis_connection("default")


def test_keys_made_by_the_cache_are_read_by_its_client():
    cache.set("redis-clients:probe", "1", timeout=10)
    assert cache_redis().get(cache.make_key("redis-clients:probe")) is not None
    cache.delete("redis-clients:probe")


def test_another_cache_backend_has_no_client():
    assert cache_redis(cache=LocMemCache("redis-clients-tests", {})) is None


def test_the_layers_client_gives_up_within_the_socket_timeout(settings):
    settings.REDIS_SOCKET_TIMEOUT_SECONDS = 0.3
    options = layer_redis().connection_pool.connection_kwargs
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (0.3, 0.3)
    assert layer_redis() is layer_redis()
    assert layer_redis().ping()


def test_the_layer_is_on_the_caches_redis_when_both_are_on_redis_url(settings):
    assert layer_on_cache_redis()
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": "redis://elsewhere/0"}}
    assert not layer_on_cache_redis()

"""The channel layer keeps its groups through a Redis restart, and a real channels_redis layer hears
what sync code publishes in its wire format."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from chatproject.channel_layer import RedisPubSubChannelLayer, group_publishes
from chatproject.redis_clients import layer_redis
from tests.servers import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_groups_can_be_joined_and_heard_right_after_redis_restarts(redis_server):
    layer = RedisPubSubChannelLayer(hosts=[{"address": redis_server.url, "socket_timeout": None}])
    before = await layer.new_channel()
    await layer.group_add("old", before)

    redis_server.stop()
    redis_server.start()

    after = await layer.new_channel()
    await layer.group_add("new", after)
    await layer.group_send("new", {"type": "chat.event", "n": 1})
    await layer.group_send("old", {"type": "chat.event", "n": 2})
    async with asyncio.timeout(5):
        assert (await layer.receive(after))["n"] == 1
        assert (await layer.receive(before))["n"] == 2
    await layer.flush()


async def _published_and_heard(layer: RedisPubSubChannelLayer, group: str, message: dict) -> dict:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)

    def publish() -> None:
        pipe = layer_redis().pipeline(transaction=False)
        group_publishes(pipe, [(group, message)], layer=layer)
        pipe.execute()

    await asyncio.to_thread(publish)
    async with asyncio.timeout(5):
        heard = await layer.receive(channel)
    await layer.flush()
    return heard


async def test_a_message_published_from_sync_code_reaches_the_groups_channels_through_channels_redis():
    message = {"type": "chat.event", "event": {"type": "session.renamed", "title": "é", "n": [1, None]}}
    assert await _published_and_heard(get_channel_layer(), "pinned", message) == message


async def test_the_wire_follows_the_layers_prefix():
    layer = RedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix="elsewhere")
    assert layer.group_channel("g") == "elsewhere__group__g"
    assert await _published_and_heard(layer, "g", {"type": "chat.event", "n": 3}) == {"type": "chat.event", "n": 3}

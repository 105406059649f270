"""The channel layer keeps its groups through a Redis restart."""

import asyncio

import pytest

from chatproject.channel_layer import RedisPubSubChannelLayer
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

"""The channel layer: channels_redis' Pub/Sub layer, with subscriptions that survive a Redis restart,
and its wire format for sync code that publishes (group_publishes).

After Redis restarts, the first SUBSCRIBE or UNSUBSCRIBE on the layer's pub/sub connection fails
with ConnectionError (redis-py reconnects on the next command, and then subscribes again to every
channel it had), so a socket that connected at that moment answered 500. The group operations are
run again a few times, briefly apart; they are idempotent (a channel already in a group stays
there once, and a failed SUBSCRIBE was never recorded).
"""

import asyncio
import functools
import logging
from collections.abc import Iterable

import redis
from channels.layers import get_channel_layer
from channels_redis import pubsub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

PAUSES_SECONDS = (0.05, 0.25, 1.0)


async def _again_on_lost_connection(operation, *args):
    for pause in PAUSES_SECONDS:
        try:
            return await operation(*args)
        except (RedisConnectionError, RedisTimeoutError, OSError):
            logger.warning("channel layer lost its Redis connection; trying again in %.2f s", pause)
            await asyncio.sleep(pause)
    return await operation(*args)


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def __init__(self, *args, prefix: str = "asgi", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.prefix = prefix  # what channels_redis names its Pub/Sub channels with (its default)

    def group_channel(self, group: str) -> str:
        """The Redis Pub/Sub channel that group_send publishes a group's messages on."""
        return f"{self.prefix}__group__{group}"

    async def group_add(self, group, channel):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_add"), group, channel)

    async def group_discard(self, group, channel):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_discard"), group, channel)

    async def group_send(self, group, message):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_send"), group, message)


def group_publishes(
    pipe: redis.client.Pipeline,
    messages: Iterable[tuple[str, dict]],
    *,
    layer: RedisPubSubChannelLayer | None = None,
) -> None:
    """Queues on `pipe` (a redis-py pipeline on the Redis server of `layer`, settings' layer by
    default) the PUBLISH commands by which the layer's group_send delivers each (group, message):
    the Pub/Sub layer's wire format, its channel name and its serializer. For sync code, to which an
    async group_send per message would cost more than the write it announces."""
    layer = get_channel_layer() if layer is None else layer
    for group, message in messages:
        pipe.publish(layer.group_channel(group), layer.serialize(message))

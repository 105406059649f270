"""The channel layer: channels_redis' Pub/Sub layer, with subscriptions that survive a Redis restart.

After Redis restarts, the first SUBSCRIBE or UNSUBSCRIBE on the layer's pub/sub connection fails
with ConnectionError (redis-py reconnects on the next command, and then subscribes again to every
channel it had), so a socket that connected at that moment answered 500. The group operations are
run again a few times, briefly apart; they are idempotent (a channel already in a group stays
there once, and a failed SUBSCRIBE was never recorded).
"""

import asyncio
import functools
import logging

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
    async def group_add(self, group, channel):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_add"), group, channel)

    async def group_discard(self, group, channel):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_discard"), group, channel)

    async def group_send(self, group, message):
        await _again_on_lost_connection(functools.partial(pubsub._async_proxy, self, "group_send"), group, message)

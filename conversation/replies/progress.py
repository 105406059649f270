"""A reply's progress and stop flag in the cache (Redis in production): the text so far for the tabs
and retries that join a reply mid-way, and the stop any tab may ask for."""

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def progress_key(session_id) -> str:
    return f"reply:{session_id}"


def reply_state_ttl() -> int:
    """Seconds that per-reply state (claim, progress, stop flag) lives: it outlives any reply (the
    deadline bounds it, and storing it through an outage takes ~30 s more), yet frees a session
    whose process died mid-reply."""
    return int(settings.ASSISTANT_DEADLINE_SECONDS + 60)


def stop_key(session_id) -> str:
    return f"stop:{session_id}"


def reply_state_write(session_id, *, reply_to: int, text: str) -> bool:
    """Record the reply being written: {"reply_to": seq, "text": so far}; and whether a stop was
    asked for it. One thread hop for both, and no read-modify-write: the task writing the reply
    keeps its text and writes it whole (replies are capped at MAX_UTTERANCE_CHARS).

    The progress lives in the cache (Redis in production) for the tabs and retries that join the
    reply mid-way; it is a convenience, not the record: with Redis down they get the stored reply.
    """
    cache.set(progress_key(session_id), {"reply_to": reply_to, "text": text}, reply_state_ttl())
    return bool(cache.get(stop_key(session_id)))


def reply_state_begin(session_id, *, reply_to: int) -> None:
    """A new reply: its progress starts empty, and a stop asked of an earlier reply is forgotten."""
    cache.set_many(
        {progress_key(session_id): {"reply_to": reply_to, "text": ""}, stop_key(session_id): 0}, reply_state_ttl()
    )


def reply_state_end(session_id) -> None:
    cache.delete_many([progress_key(session_id), stop_key(session_id)])


def reply_stop_request(session_id) -> None:
    cache.set(stop_key(session_id), 1, reply_state_ttl())


def reply_stop_requested(session_id) -> bool:
    return bool(cache.get(stop_key(session_id)))


def progress_get(session_id) -> dict | None:
    """{"reply_to": seq, "text": so far} of the reply being written in the session, or None."""
    try:
        return cache.get(progress_key(session_id))
    except Exception:
        logger.warning("cache unreachable; reply progress of %s unknown", session_id, exc_info=True)
        return None


# Cache calls run on the thread pool, not on the one thread that thread-sensitive calls share:
# with hundreds of replies running, that thread would be the bottleneck.
aprogress_get = sync_to_async(progress_get, thread_sensitive=False)

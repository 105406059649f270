"""After each reply: whether a summary may be due, from the reply's own metadata, and the queueing
of the background refresh (summaries/tasks.py) when it may. Kept apart from services.py, which
reads the prompt (replies/turn.py), since replies/after.py, which the reply's store imports, calls it."""

import logging

from django.conf import settings
from django.core.cache import cache

from conversation.models import Session, Utterance

logger = logging.getLogger(__name__)

# A session's refresh is queued (the task clears it when it starts); a lost one expires.
QUEUED_KEY = "summary-queued:{}"
QUEUED_SECONDS = 600


def summary_refresh_due(*, session: Session, reply: Utterance) -> bool:
    """Whether a summary may be due after `reply` (stored in `session`, as the append left it),
    from the reply's own metadata, with no query: the messages its prompt dropped that the summary
    in it does not cover, counted from above (seqs and the branch's message count)."""
    every = settings.SUMMARY_EVERY_MESSAGES
    context = (reply.metadata or {}).get("context") or {}
    first, since = context.get("first_seq"), context.get("summary_seq") or 0
    if every <= 0 or not isinstance(first, int) or not isinstance(context.get("messages"), int):
        return False
    # The branch's final messages before the reply that its prompt left out (summarized or not).
    dropped = session.message_count - 1 - context["messages"]
    return min(dropped, first - since - 1) >= every


def summary_refresh_if_due(*, session: Session, reply: Utterance) -> None:
    """After a reply's commit: queue the session's summary refresh (summaries/tasks.py, queue
    "context") when it may be due and none is queued for it yet (replies while one waits queue no
    more). A queue that fails costs the summary, never the reply."""
    if not summary_refresh_due(session=session, reply=reply):
        return
    from conversation.summaries.tasks import summary_refresh_task  # the task imports the services

    try:
        if cache.add(QUEUED_KEY.format(session.pk), 1, QUEUED_SECONDS):
            summary_refresh_task.enqueue(session_id=str(session.pk))
    except Exception:
        logger.warning("could not queue the summary of session %s", session.pk, exc_info=True)


def summary_queued_clear(*, session_id: str) -> None:
    """The queued refresh of a session has started: the next reply that finds one due queues another."""
    try:
        cache.delete(QUEUED_KEY.format(session_id))
    except Exception:
        logger.warning("cache unreachable; %s left to expire", QUEUED_KEY.format(session_id), exc_info=True)

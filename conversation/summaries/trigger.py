"""When a summary is due (`summary_due`, the one rule, which the refresh applies too); after each
reply, whether it may be, from the reply's own metadata, and the queueing of the background refresh
(summaries/tasks.py) when it may. Kept apart from services.py, which reads the prompt
(replies/turn.py), since replies/after.py, which the reply's store imports, calls it."""

import logging

from django.conf import settings
from django.core.cache import cache

from conversation.models import Session, Utterance

logger = logging.getLogger(__name__)

# A session's refresh is queued, for its messages' count in steps of SUMMARY_EVERY_MESSAGES (the
# task clears it when it starts): replies meanwhile queue no other until the chat has grown a step.
# On the embedded default the cache is per process and the worker's clearing never reaches the web
# process's mark, so the step is what frees it there; a lost one expires.
QUEUED_KEY = "summary-queued:{}:{}"
QUEUED_SECONDS = 600


# The newest messages a summary never covers: the turn a regeneration or an edit most often
# replaces (a summary at a replaced message's point stays on the branch left behind).
KEEP_MESSAGES = 2


def summary_due(*, path_messages: int, summary_messages: int, included: int, covered: int, full: bool) -> bool:
    """The rule of when a branch is due a summary (docs/context.md "Summaries"). Only once its prompt
    leaves a message out or is SUMMARY_AHEAD_PERCENT full; then when 2N messages (N:
    SUMMARY_EVERY_MESSAGES) are not summarized yet, never counting the newest KEEP_MESSAGES (made
    ahead, a call covers messages the prompt still holds, so that few or none fall out unsummarized),
    or when N have fallen out of the prompt unsummarized (a window of a few long messages).
    `path_messages`: the branch's messages; `summary_messages`: those its summary covers; `included`:
    those in the prompt; `covered`: those in the prompt the summary covers too."""
    every = settings.SUMMARY_EVERY_MESSAGES
    if every <= 0 or included <= 0:
        return False
    if path_messages <= included and not full:
        return False
    unsummarized = path_messages - summary_messages
    fallen_out = unsummarized - (included - covered)
    ahead = unsummarized - KEEP_MESSAGES
    return ahead >= 2 * every or (fallen_out >= every and ahead >= every)


def prompt_is_full(*, tokens: int, budget: int) -> bool:
    return tokens * 100 >= budget * settings.SUMMARY_AHEAD_PERCENT


def summary_refresh_due(*, session: Session, reply: Utterance) -> bool:
    """Whether a summary may be due after `reply` (stored in `session`, as the append left it), by
    summary_due on the reply's own metadata, with no query. Its prompt is the one before the reply:
    the next one also holds the reply (the refresh decides on that one)."""
    context = (reply.metadata or {}).get("context") or {}
    numbers = [context.get(key) for key in ("messages", "tokens", "budget")]
    if not all(isinstance(n, int) for n in numbers):
        return False
    included, prompt_tokens, budget = numbers
    # A reply stored before these were kept counts as none summarized: the refresh decides.
    summary_messages, covered = context.get("summary_messages"), context.get("covered")
    return summary_due(
        path_messages=session.message_count,
        summary_messages=summary_messages if isinstance(summary_messages, int) else 0,
        included=included + 1,
        covered=covered if isinstance(covered, int) else 0,
        full=prompt_is_full(tokens=prompt_tokens, budget=budget),
    )


def summary_refresh_if_due(*, session: Session, reply: Utterance) -> None:
    """After a reply's commit: queue the session's summary refresh (summaries/tasks.py, queue
    "context") when it may be due and none is queued for it yet (replies while one waits queue no
    more). A queue that fails costs the summary, never the reply."""
    if not summary_refresh_due(session=session, reply=reply):
        return
    from conversation.summaries.tasks import summary_refresh_task  # the task imports the services

    try:
        # False: one is queued; None: the cache is unreachable (django-redis answers so), queue anyway.
        if cache.add(_queued_key(session.pk, session.message_count), 1, QUEUED_SECONDS) is not False:
            summary_refresh_task.enqueue(session_id=str(session.pk))
    except Exception:
        logger.warning("could not queue the summary of session %s", session.pk, exc_info=True)


def summary_queued_clear(*, session_id: str, message_count: int) -> None:
    """The queued refresh of a session has started: the next reply that finds one due queues another."""
    key = _queued_key(session_id, message_count)
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache unreachable; %s left to expire", key, exc_info=True)


def _queued_key(session_id, message_count: int) -> str:
    return QUEUED_KEY.format(session_id, message_count // max(settings.SUMMARY_EVERY_MESSAGES, 1))

"""Summaries' writes (docs/context.md "Summaries"): the background refresh that summarizes a branch's
older messages ahead of their falling out of its window (queued by summaries/trigger.py), and the
owner's edit."""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chatproject import live
from conversation import events, inputs, tokens
from conversation.assistant import AssistantError
from conversation.branches.paths import path_rows
from conversation.models import ContextSummary, Session, Utterance
from conversation.replies.turn import prompt_for_session
from conversation.sessions.lookup import session_get_for_user, session_id_parse
from conversation.summaries.maker import summary_batch, summary_make
from conversation.summaries.selectors import summary_for_session
from conversation.summaries.trigger import KEEP_MESSAGES, prompt_is_full, summary_due
from conversation.usage.services import usage_record_completion

logger = logging.getLogger(__name__)

# The most messages one run reads: a call covers at most what fits its prompt anyway.
SUMMARY_READ_MAX = 500
# While one process makes a session's summary, another skips it (the store's unique point settles
# the rare race this misses: the cache is per process on the embedded default).
MAKING_KEY = "summary-making:{}"


@dataclass(frozen=True)
class Refreshed:
    summary: ContextSummary | None  # the summary stored, None: none was due or it could not be
    more: bool  # messages are left that are due another summary (a big import's)


def _unsummarized(*, session: Session, since: int, newest: int) -> list[dict]:
    """The final messages of the active path with since < seq, oldest first, never its newest
    KEEP_MESSAGES (`newest`: the newest one's seq), at most SUMMARY_READ_MAX: those no summary covers."""
    queryset = Utterance.objects.filter(session_id=session.pk, is_final=True).only(
        "seq", "branch", "role", "text", "tokens"
    )
    limit = SUMMARY_READ_MAX + KEEP_MESSAGES - 1  # with the newest but one: a read that reaches it drops it
    rows = path_rows(queryset, branch_path=session.branch_path, limit=limit, above=since, below=newest, newest=False)
    rows = rows[: len(rows) - (KEEP_MESSAGES - 1)] if len(rows) < limit else rows[:SUMMARY_READ_MAX]
    return [{"role": u.role, "text": u.text, "seq": u.seq, "branch": u.branch, "tokens": u.tokens} for u in rows]


def _made_lately(*, session: Session) -> bool:
    """Whether the chat has a summary (on any branch) at one of its last SUMMARY_EVERY_MESSAGES seqs:
    at most one call per that many messages stored, whatever branches a person makes. One query."""
    newest = ContextSummary.objects.filter(session_id=session.pk).order_by("-seq").values_list("seq", flat=True).first()
    return newest is not None and session.last_seq - newest < settings.SUMMARY_EVERY_MESSAGES


def summary_refresh(*, session_id: uuid.UUID | str) -> Refreshed:
    """The background job: when the session's active branch is due a summary (trigger.summary_due),
    one call makes the new summary from the previous one and the messages after it (as many as fit
    one call, never the newest KEEP_MESSAGES), stored at the last one's point. Made ahead, it covers
    messages the prompt still holds, so that few or none fall out unsummarized. A session deleted,
    trashed or cleared meanwhile gets none, and no error."""
    nothing = Refreshed(summary=None, more=False)
    every = settings.SUMMARY_EVERY_MESSAGES
    session = Session.objects.select_related("persona").filter(pk=session_id, deleted_at__isnull=True).first()
    if every <= 0 or session is None or session.head_seq is None:
        return nothing
    previous = summary_for_session(session=session)
    prompt, _ = prompt_for_session(session=session)
    if not prompt.included:
        return nothing
    due = summary_due(
        path_messages=session.message_count,
        summary_messages=previous.messages if previous else 0,
        included=len(prompt.included),
        covered=prompt.covered,
        full=prompt_is_full(tokens=prompt.tokens, budget=prompt.budget),
    )
    if not due or _made_lately(session=session):
        return nothing
    candidates = _unsummarized(
        session=session, since=previous.seq if previous else 0, newest=prompt.included[-1]["seq"]
    )
    if len(candidates) < every:
        return nothing
    key = MAKING_KEY.format(session.pk)
    if not _making_claim(key):
        return nothing
    try:
        previous_text = previous.text if previous else ""
        _, covered = summary_batch(previous=previous_text, messages=candidates)
        try:
            edited = previous is not None and previous.edited_at is not None
            made = summary_make(previous=previous_text, messages=covered, previous_edited=edited)
        except AssistantError:
            logger.warning("the summary of session %s could not be made", session.pk, exc_info=True)
            return nothing
        if made.completion is not None:  # paid for, whatever becomes of it
            usage_record_completion(user_id=session.user_id, completion=made.completion, messages=made.asked)
        if not made.text:
            return nothing
        stored = _store(session=session, previous=previous, covered=covered, made=made)
    finally:
        _making_release(key)
    left = len(candidates) - len(covered)
    return Refreshed(summary=stored, more=stored is not None and (left >= every or len(candidates) == SUMMARY_READ_MAX))


def _making_claim(key: str) -> bool:
    try:
        added = cache.add(key, 1, settings.ASSISTANT_DEADLINE_SECONDS + 60)
    except Exception:
        added = None
    if added is None:  # the cache unreachable (django-redis answers None): the unique point is the guard left
        logger.warning("cache unreachable; making a summary unguarded")
        return True
    return added


def _making_release(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache unreachable; %s left to expire", key, exc_info=True)


@transaction.atomic
def _store(*, session: Session, previous: ContextSummary | None, covered: list[dict], made) -> ContextSummary | None:
    """The new summary at the last covered message's point, unless the chat changed under the call:
    gone, trashed or cleared (the point's message gone: seqs are never reused), or the previous
    summary edited or superseded. A move of the head meanwhile (a regeneration, an edit, a switch)
    keeps it: the point's branch is still there, and the new one shares it up to its fork."""
    current = Session.objects.select_for_update().filter(pk=session.pk, deleted_at__isnull=True).first()
    if current is None:
        return None
    point = covered[-1]
    if not Utterance.objects.filter(session_id=session.pk, seq=point["seq"]).exists():
        return None
    # The summary it was made from must still be the newest on the point's path (`session`, as read),
    # as it was: another run may have stored one meanwhile, and its owner may have rewritten that
    # (an edit is never lost).
    newest = summary_for_session(session=session)
    if (newest.pk if newest else None) != (previous.pk if previous else None):
        return None
    if previous is not None and newest.edited_at != previous.edited_at:
        return None
    try:
        with transaction.atomic():
            summary = ContextSummary.objects.create(
                session_id=session.pk,
                branch=point["branch"],
                seq=point["seq"],
                text=made.text,
                tokens=made.tokens,
                messages=(previous.messages if previous else 0) + len(covered),
                made_by=made.made_by[:100],
            )
    except IntegrityError:  # another worker stored this point first
        return None
    live.publish_after_commit(
        [(events.session_group(session.pk), events.context_changed(session_id=session.pk, summary=summary))]
    )
    return summary


class SummarySuperseded(Exception):
    """The summary an edit was written over is no longer the newest: `summary` is the one that is."""

    def __init__(self, summary: ContextSummary) -> None:
        super().__init__(f"A newer summary, of the first {summary.messages} messages, was made meanwhile.")
        self.summary = summary


@transaction.atomic
def summary_edit(*, user: User, session_id: uuid.UUID | str, text: str, seq: int | None = None) -> ContextSummary:
    """The owner rewrites the newest summary of the chat's active branch ("Earlier in this chat").
    It holds until a newer summary, made from it, covers later messages. `seq`: the point of the
    summary the owner read and rewrote; SummarySuperseded when the newest is another one now (made
    while they wrote, or a branch switched), so that a text written over one summary never replaces
    another unread. Another user's chat is Session.DoesNotExist; a chat with no summary yet, or a
    text over the limits, a ValidationError."""
    session = session_get_for_user(user=user, session_id=session_id_parse(session_id), for_update=True)
    if not isinstance(text, str):
        raise ValidationError({"text": "The summary must be a string."})
    text = text.strip()
    if not text:
        raise ValidationError({"text": "The summary must not be empty."})
    if len(text) > settings.MAX_SUMMARY_CHARS:
        raise ValidationError(
            {"text": f"The summary is {len(text)} characters; the limit is {settings.MAX_SUMMARY_CHARS}."}
        )
    inputs.check_text(text)  # NUL characters, unpaired surrogates
    count = tokens.text_tokens(text)
    if count > settings.SUMMARY_MAX_TOKENS:
        raise ValidationError(
            {"text": f"The summary is {count} tokens; the limit is {settings.SUMMARY_MAX_TOKENS}. Shorten it."}
        )
    summary = summary_for_session(session=session)
    if summary is None:
        raise ValidationError(
            {"text": "This chat has no summary yet: one is made when its messages no longer fit the model's context."}
        )
    if seq is not None and summary.seq != seq:
        raise SummarySuperseded(summary)
    summary.text, summary.tokens, summary.edited_at = text, count, timezone.now()
    summary.save(update_fields=["text", "tokens", "edited_at"])
    live.publish_after_commit(
        [(events.session_group(session.pk), events.context_changed(session_id=session.pk, summary=summary))]
    )
    return summary

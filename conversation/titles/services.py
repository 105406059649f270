"""A chat's title by the model (docs/context.md, "Titles"): asked for after its first reply, in the
background, and written only while the chat still has its automatic title, so that a person's
rename always wins, even one that lands while the model is answering."""

import logging
import uuid

from django.conf import settings
from django.db import transaction

from accounts.models import User
from conversation.assistant import AssistantError, assistant_backend, assistant_complete
from conversation.models import Role, Session, Utterance
from conversation.models.sessions import TitleSource
from conversation.sessions.announce import announce_changed
from conversation.titles.maker import TITLE_MAX_TOKENS, title_from_answer, title_prompt
from conversation.usage.services import usage_record_completion

logger = logging.getLogger(__name__)


def session_title_propose_if_due(*, user: User, session: Session, reply: Utterance) -> None:
    """After `reply` is stored (and committed): when it is the chat's first reply and the chat still
    has its automatic title, a job asks the model for a title. The offline backend keeps the first
    message's words, as does TITLES_BY_MODEL off."""
    if not _titles_by_model() or session.title_source != TitleSource.AUTO:
        return
    if session.assistant_message_count != 1 or reply.metadata.get("error") or not reply.text.strip():
        return
    from conversation.titles.tasks import session_title_make  # the task module imports this one

    try:
        session_title_make.enqueue(session_id=str(session.pk), reply_seq=reply.seq)
    except Exception:  # a queue that fails costs the title, never the reply nor the hooks after it
        logger.warning("could not queue the title of session %s", session.pk, exc_info=True)


def session_title_by_model(*, session_id: uuid.UUID | str, reply_seq: int) -> str | None:
    """The job: the model's title for the chat that begins with its first user message answered by
    the reply `reply_seq`, set unless a person named the chat meanwhile. Returns the title set, or
    None (named by a person, gone, the model failed or answered nothing usable: the title stays)."""
    if not _titles_by_model():
        return None
    named = Session.objects.filter(pk=session_id, deleted_at__isnull=True).values_list("title_source", "user_id")
    source, user_id = named.first() or (None, None)
    if source != TitleSource.AUTO:
        return None
    texts = Utterance.objects.filter(session_id=session_id).values_list("text", flat=True)
    first = texts.filter(role=Role.USER, is_final=True).order_by("seq").first()
    reply = texts.filter(seq=reply_seq, role=Role.ASSISTANT).first()
    if first is None or reply is None:
        return None
    messages = title_prompt(first=first, reply=reply)
    try:
        completion = assistant_complete(messages=messages, max_tokens=TITLE_MAX_TOKENS)
    except AssistantError as exc:
        logger.warning("no title by the model for session %s: %s", session_id, exc)
        return None
    usage_record_completion(user_id=user_id, completion=completion, messages=messages)
    title = title_from_answer(completion.text)
    if not title:
        logger.info("the model's title for session %s was unusable: %r", session_id, completion.text[:200])
        return None
    return title if session_title_set_by_model(session_id=session_id, title=title) else None


@transaction.atomic
def session_title_set_by_model(*, session_id: uuid.UUID | str, title: str) -> bool:
    """Set `title` as the model's, in one conditional UPDATE: only while the chat's title is still
    the automatic one. A rename committed first is seen by it (a rename holding the row makes it wait,
    then re-read the row), so it changes nothing; one committed after it overwrites it. Every tab
    hears of the new title, as of a rename. Whether it was set."""
    changed = Session.objects.filter(pk=session_id, title_source=TitleSource.AUTO, deleted_at__isnull=True).update(
        title=title, title_source=TitleSource.MODEL
    )
    if changed:
        announce_changed(Session.objects.get(pk=session_id))
    return bool(changed)


def _titles_by_model() -> bool:
    return settings.TITLES_BY_MODEL and assistant_backend().name != "offline"

"""A whole conversation saved in one call (the voice agent's save): the session created or
continued, its messages appended once, the session ended if asked."""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from conversation import inputs
from conversation.history.append import AppendResult, utterances_append_prepared, utterances_prepare
from conversation.models import Persona, Session
from conversation.sessions.announce import announce_changed, announce_created, announce_ended
from conversation.sessions.create import UNSET, session_change, session_id_check_unretired, title_source_of
from conversation.sessions.lookup import session_id_parse
from conversation.sessions.personas import persona_resolve


def derived_client_id(*, index: int, role: Any, text: Any, timestamp: Any) -> str:
    """The client_id a save gives a message that has none: its position, role, text and timestamp.

    The voice agent re-sends its whole conversation on every save, so a message keeps its position;
    a retried save derives the same ids and stores nothing twice, while two identical "yes" at
    different positions (or times) stay two messages.
    """
    digest = hashlib.sha256(f"{index}\x1f{role}\x1f{text}\x1f{timestamp}".encode()).hexdigest()
    return f"save:{digest[:40]}"


@transaction.atomic
def conversation_save(
    *,
    user: User,
    messages: Sequence[inputs.UtteranceIn],
    session_id: uuid.UUID | str | None = None,
    persona: Persona | str | None = None,
    title: str | None = None,
    end: bool = False,
) -> AppendResult:
    """Save a whole conversation in one call: create or continue `session_id`, dedupe, end if asked."""
    keyed = [
        m
        if m.client_id
        else replace(m, client_id=derived_client_id(index=i, role=m.role, text=m.text, timestamp=m.timestamp))
        for i, m in enumerate(messages)
    ]
    prepared = utterances_prepare(keyed, field="messages") if keyed else []

    session = None
    created = False
    if session_id is not None:
        session = Session.objects.filter(id=session_id_parse(session_id)).select_for_update().first()
        if session is not None and (session.user_id != user.pk or session.deleted_at is not None):
            raise Session.DoesNotExist("No such session.")
    if session is None:
        session = Session(id=session_id_parse(session_id) if session_id is not None else uuid.uuid4(), user=user)
        if session_id is not None:
            session_id_check_unretired(user=user, session_id=session.pk)
        session.persona = persona_resolve(persona=persona)
        session.title = inputs.check_title(title or "")
        session.title_source = title_source_of(session.title)
        session.save(force_insert=True)
        created = True
        announce_created(session)
    else:
        changed = session_change(
            session,
            title=UNSET if title is None else title,
            persona=UNSET if persona is None else persona,
        )
        if changed:
            session.save(update_fields=changed)
            announce_changed(session)

    if prepared:
        # A continued conversation is mostly re-sent messages: look them up first. A new session
        # has none stored.
        result = utterances_append_prepared(
            user=user, session_id=session.pk, prepared=prepared, expect_stored=not created
        )
    else:
        result = AppendResult(session=session, utterances=[], created=0)
    if end and result.session.ended_at is None:
        ended_at = timezone.now()
        Session.objects.filter(pk=session.pk).update(ended_at=ended_at)
        result.session.ended_at = ended_at
        announce_ended([(user.pk, session.pk)], ended_at=ended_at)
    return result

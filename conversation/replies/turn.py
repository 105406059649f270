"""A turn begun: the session's reply claimed, the message stored (sent, or an edit) or the reply
readied for regeneration, and what the model is to be asked."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from conversation import inputs
from conversation.assistant import assistant_model
from conversation.branches.edits import utterance_edit, utterance_regenerate_prepare
from conversation.branches.paths import utterance_answered_by
from conversation.context import context_window_get
from conversation.folders.selectors import folder_instructions_for_session
from conversation.history.append import utterances_append
from conversation.models import ReplyInFlight, Role, Session, Utterance
from conversation.prompt import Prompt, prompt_budget, prompt_build
from conversation.replies.claim import reply_claim, reply_release
from conversation.replies.store import reply_client_id, reply_ended_badly, reply_latest
from conversation.sessions.lookup import session_get_for_user
from conversation.summaries.selectors import summary_for_session


@dataclass(frozen=True)
class Turn:
    """A message stored and its reply claimed (or joined, or found stored): what reply_events needs."""

    session: Session
    user_utterance: Utterance
    joined: bool
    stored_reply: Utterance | None
    reply_client_id: str
    prompt: Prompt | None  # what the model is asked (None: joined, or found stored)
    # The client_id the reply is claimed under, when it is not the message's own (a regeneration
    # answers an earlier message under a client_id of its own).
    claim_client_id: str | None = None


def reply_begin(
    *,
    user: User,
    session_id: uuid.UUID | str,
    client_id: str | None,
    text: str | None = None,
    session: Session | None = None,
    edit_seq: int | str | None = None,
    regenerate_seq: int | str | None = None,
) -> Turn:
    """Claim the session's reply and store the message (sync: a request thread or a database thread).

    `session`: the user's session `session_id` as the caller has just read it with its persona (the
    socket does), saving the read. `edit_seq`: the message `text` is an edit of that user message,
    stored on a new branch (utterance_edit). `regenerate_seq`: no message is stored; another reply
    is readied in place of that assistant message (utterance_regenerate_prepare: a new branch after
    the message it answered), and a retry with the same client_id readies no second branch.
    ReplyBusy, with nothing stored, when another message's reply is being written in the session;
    ReplyBudgetExceeded when the user has the most replies in flight.
    """
    client_id = client_id or uuid.uuid4().hex
    if session is None or session.user_id != user.pk:
        session = session_get_for_user(user=user, session_id=session_id)
    persona = session.persona
    claimed = reply_claim(session=session, client_id=client_id)
    try:
        if regenerate_seq is not None:
            answered = utterance_answered_by(session=session, seq=regenerate_seq)
            stored_reply, attempt = reply_latest(session_id=session.pk, client_id=client_id)
            if claimed and stored_reply is None:
                session = utterance_regenerate_prepare(user=user, session_id=session.pk, seq=regenerate_seq)
        else:
            if edit_seq is None:
                result = utterances_append(
                    user=user,
                    session_id=session.pk,
                    utterances=[inputs.UtteranceIn(role=Role.USER, text=text, client_id=client_id)],
                )
            else:
                result = utterance_edit(user=user, session_id=session.pk, seq=edit_seq, text=text, client_id=client_id)
            session, answered = result.session, result.utterances[0]
            if answered.role != Role.USER:
                # A client_id is a message's own: one that names a stored reply (`{id}:reply`) would
                # have a reply written to that reply.
                raise ValidationError({"client_id": "This client_id names a reply, not a message of yours."})
            if not claimed and result.created:
                # The claim names this message, yet the message was not stored: the request that
                # claimed it failed before storing it (the database went away). The claim is ours.
                ReplyInFlight.objects.filter(session=session, client_id=client_id).update(started_at=timezone.now())
                claimed = True
            stored_reply, attempt = (
                (None, 0) if result.created else reply_latest(session_id=session.pk, client_id=client_id)
            )
        if session.persona_id == persona.pk:
            session.persona = persona  # read with the session above: no second read
        if claimed and stored_reply is not None and not reply_ended_badly(stored_reply):
            reply_release(session_id=session.pk, client_id=client_id)
        else:
            stored_reply = None
        return _turn(
            session=session,
            answered=answered,
            claimed=claimed,
            stored_reply=stored_reply,
            attempt=attempt,
            client_id=client_id,
            claim_client_id=client_id if regenerate_seq is not None else None,
        )
    except BaseException:
        if claimed:
            reply_release(session_id=session.pk, client_id=client_id)
        raise


def _turn(
    *,
    session: Session,
    answered: Utterance,
    claimed: bool,
    stored_reply: Utterance | None,
    attempt: int,
    client_id: str,
    claim_client_id: str | None = None,
) -> Turn:
    """The Turn of a claimed (or joined) reply to `answered`, with the prompt the model is to be asked
    when it is: the window up to the message answered (a retry's prompt leaves out the attempts that
    failed), fitted to the persona's budget with the branch's summary (prompt.prompt_build)."""
    prompt = None
    if claimed and stored_reply is None:
        prompt, _ = prompt_for_session(session=session, upto_seq=answered.seq)
    return Turn(
        session=session,
        user_utterance=answered,
        joined=not claimed,
        stored_reply=stored_reply,
        reply_client_id=reply_client_id(client_id, attempt + 1),
        prompt=prompt,
        claim_client_id=claim_client_id,
    )


def prompt_for_session(*, session: Session, upto_seq: int | None = None) -> tuple[Prompt, bool]:
    """The prompt of a reply in `session` (read with its persona) to its message `upto_seq` (None:
    its newest), and whether the window came from the cache: the persona's system prompt and the
    folder's instructions, the branch's summary, and the newest messages that fit the budget."""
    persona = session.persona
    window = context_window_get(session=session, budget=prompt_budget(persona))
    system_prompt = persona.system_prompt
    # Read at reply time, not cached: a change of the folder's instructions, or a move, holds
    # from the next reply on (docs/folders.md).
    instructions = folder_instructions_for_session(folder_id=session.folder_id)
    if instructions:
        system_prompt = f"{system_prompt}\n\n{instructions}" if system_prompt else instructions
    messages = window.messages if upto_seq is None else [m for m in window.messages if m["seq"] <= upto_seq]
    prompt = prompt_build(
        persona=persona,
        system_prompt=system_prompt,
        summary=summary_for_session(session=session),
        window=messages,
        model=assistant_model(),
        user_id=session.user_id,
    )
    return prompt, window.cached

"""Creating and changing a session. Each service runs in one transaction, takes the acting user
explicitly and treats another user's session exactly like a missing one (Session.DoesNotExist)."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from conversation import inputs
from conversation.folders.selectors import folder_for_new_session
from conversation.models import Persona, RetiredSessionId, Role, Session
from conversation.models.sessions import TitleSource
from conversation.sessions.announce import announce_changed, announce_created, announce_moved
from conversation.sessions.lookup import session_get_for_user
from conversation.sessions.personas import persona_resolve

UNSET: Any = object()


class SessionIdTaken(Exception):
    """A client-chosen session id that named another user's session, now removed for good."""


def session_id_check_unretired(*, user: User, session_id: uuid.UUID) -> None:
    """An id that once named a session goes back to its owner only (models.RetiredSessionId)."""
    owner_id = RetiredSessionId.objects.filter(pk=session_id).values_list("owner_id", flat=True).first()
    if owner_id is not None and owner_id != user.pk:
        raise SessionIdTaken("This session id was used before and cannot be used again; leave it out for a new one.")


def session_create(
    *,
    user: User,
    persona: Persona | str | None = None,
    title: str = "",
    metadata: dict | None = None,
    session_id: uuid.UUID | None = None,
    folder: uuid.UUID | str | None = None,
) -> Session:
    """A new session; started in one of the user's folders (`folder`, its id), it takes the
    folder's persona when none is given (docs/folders.md). A title given here is its owner's
    (title_source "user": the model never replaces it; docs/context.md, "Titles")."""
    if session_id is not None:
        session_id_check_unretired(user=user, session_id=session_id)
    if folder is not None and folder != "":
        # The folder locked until the chat is in it (as session_update does): its removal meanwhile
        # is waited for and found (a 404), not broken by the chat's reference at commit (a 500).
        with transaction.atomic():
            return _session_create(
                user=user,
                persona=persona,
                title=title,
                metadata=metadata,
                session_id=session_id,
                in_folder=folder_for_new_session(user=user, folder_id=folder, for_update=True),
            )
    return _session_create(
        user=user, persona=persona, title=title, metadata=metadata, session_id=session_id, in_folder=None
    )


def _session_create(*, user, persona, title, metadata, session_id, in_folder) -> Session:
    if persona is None and in_folder is not None and in_folder.persona_id:
        persona = in_folder.persona
    session = Session(
        id=session_id or uuid.uuid4(),
        user=user,
        folder=in_folder,
        persona=persona_resolve(persona=persona),
        title=inputs.check_title(title),
        metadata=inputs.check_metadata(metadata),
    )
    session.title_source = title_source_of(session.title)
    session.save(force_insert=True)
    announce_created(session)
    return session


# Names the sessions that first messages create (see session_create_for_message).
FIRST_MESSAGE_NAMESPACE = uuid.UUID("6f1d4c1e-56b3-4e0f-9a57-0c8a3c2d7b10")


def session_create_for_message(
    *, user: User, client_id: str, persona: Persona | str | None = None, folder: uuid.UUID | str | None = None
) -> Session:
    """The session that a message sent without one creates (the chat page's New Chat).

    Its id is derived from the user and the message's client_id, so a first message sent again
    (a lost acknowledgement, a reload) finds the session it created instead of making another.
    """
    session_id = uuid.uuid5(FIRST_MESSAGE_NAMESPACE, f"{user.pk}:{client_id}")
    existing = Session.objects.filter(pk=session_id, user=user).select_related("persona").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return session_create(user=user, persona=persona, session_id=session_id, folder=folder)
    except IntegrityError:  # the same message, sent twice at once
        return session_get_for_user(user=user, session_id=session_id)


@transaction.atomic
def session_update(
    *,
    user: User,
    session_id: uuid.UUID | str,
    title: Any = UNSET,
    persona: Any = UNSET,
    metadata: Any = UNSET,
    pinned: bool | None = None,
    archived: bool | None = None,
    folder: Any = UNSET,
) -> Session:
    """Change what is given. `pinned` / `archived` (None: unchanged) set or clear pinned_at /
    archived_at; setting one already set keeps its first time. `folder`: one of the user's folders'
    ids, or None for no folder. Every tab hears of the change."""
    in_folder = folder_for_new_session(user=user, folder_id=folder, for_update=True) if folder is not UNSET else None
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    changed = session_change(session, title=title, persona=persona, metadata=metadata)
    moved = _session_move(session, pinned=pinned, archived=archived)
    if folder is not UNSET and session.folder_id != (in_folder.pk if in_folder else None):
        session.folder = in_folder
        moved.append("folder")
    if changed or moved:
        session.save(update_fields=changed + moved)
    if changed:
        announce_changed(session)
    if moved:
        announce_moved([session])
    return session


def _session_move(session: Session, *, pinned: bool | None, archived: bool | None) -> list[str]:
    """Pin/unpin and archive/unarchive `session` (not saved); returns the fields changed."""
    now = timezone.now()
    fields = []
    for wanted, field in ((pinned, "pinned_at"), (archived, "archived_at")):
        if wanted is None or wanted == (getattr(session, field) is not None):
            continue
        setattr(session, field, now if wanted else None)
        fields.append(field)
    return fields


def session_change(session: Session, *, title: Any = UNSET, persona: Any = UNSET, metadata: Any = UNSET) -> list[str]:
    """Apply the given changes to `session` (not saved); returns the fields changed.

    The one place for the rules of a change, whatever the door: a title given is its owner's (the
    model never replaces it), an empty title gives the automatic one back (from the first user
    message), a persona is resolved by slug.
    """
    fields = []
    if title is not UNSET:
        session.title = inputs.check_title(title)
        session.title_source = title_source_of(session.title)
        if not session.title:
            first = session.utterances.filter(role=Role.USER, is_final=True).order_by("seq").first()
            session.title = inputs.auto_title(first.text) if first else ""
        fields += ["title", "title_source"]
    if persona is not UNSET:
        session.persona = persona_resolve(persona=persona)
        fields.append("persona")
    if metadata is not UNSET:
        session.metadata = inputs.check_metadata(metadata)
        fields.append("metadata")
    return fields


def title_source_of(given_title: str) -> str:
    """Who named a session whose title a person gave (or cleared): them, or, for an empty title,
    the automatic rule (its first message)."""
    return TitleSource.USER if given_title else TitleSource.AUTO

"""The import writer (docs/imports.md): a conversation from elsewhere stored as a session, whole or
not at all, once per (user, source, source_id)."""

import contextlib
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from conversation import inputs, tokens
from conversation.branches.head import branch_start, session_head_announce, session_head_to_leaf
from conversation.folders.services import sessions_move_to_folder
from conversation.history import append_statement
from conversation.history.append_statement import PreparedUtterance
from conversation.models import Folder, ImportedConversation, Persona, Session, Tag, Utterance
from conversation.models.sessions import TitleSource
from conversation.sessions.create import title_source_of
from conversation.sessions.lookup import session_id_parse
from conversation.sessions.personas import persona_resolve
from conversation.tags.names import tag_key, tag_name_clean
from conversation.tags.services import sessions_tag

# Appends of an import go in statements of at most this many utterances.
IMPORT_APPEND_BATCH = 1000


@dataclass(frozen=True)
class ImportedMessage:
    """One message of a conversation brought from elsewhere; `id` is the source's, unique in it, and
    `parent_id` names the message it follows (None: it starts the conversation)."""

    id: str
    parent_id: str | None
    role: str
    text: str
    created_at: datetime
    metadata: dict


@dataclass(frozen=True)
class ImportOutcome:
    result: str  # "imported" (a new session), "updated" (new messages added), "present" (nothing to add)
    session_id: uuid.UUID | None
    stored: int


def import_client_id(message_id: str) -> str:
    """The client_id an imported message is stored with: a second import finds it by this, and a
    grown conversation adds only the messages it does not find."""
    client_id = f"import:{message_id}"
    if len(client_id) > settings.MAX_CLIENT_ID_CHARS:
        client_id = "import:#" + hashlib.sha256(message_id.encode()).hexdigest()[:64]
    return client_id


def conversation_import(
    *,
    user: User,
    source: str,
    source_id: str,
    title: str,
    messages: Sequence[ImportedMessage],
    head_id: str | None,
    created_at: datetime | None = None,
    last_activity_at: datetime | None = None,
    persona: Persona | None = None,
    state: dict | None = None,
    folder_id: uuid.UUID | None = None,
    tags: Sequence[str] = (),
    title_source: str = "",
) -> ImportOutcome:
    """Store a conversation from elsewhere as a session, whole or not at all, once per (user, source,
    source_id): a second import finds it and adds only the messages it lacks ("present" when none).

    `messages` come parents first, each branch's one after the other: a message that does not follow
    the one before starts a branch after its parent (what an edit does). The head ends on the
    source's current message (`head_id`, or the newest leaf under it). The session keeps the
    conversation's own times, and counts its retention from the import (restored_at), so that an old
    chat imported today is not moved to the trash by the next expiry run. ValidationError (nothing
    stored) for a message that cannot be stored whole, naming it. A new session goes in `folder_id`
    with `tags` (our own export's placement), named by `title_source` when our export says who named
    it (a title is otherwise its source's owner's); one found again keeps its own."""
    prepared = []
    for index, message in enumerate(messages):
        where = f"message {index + 1}"
        prepared.append(
            PreparedUtterance(
                role=inputs.normalize_role(message.role, field_name=where),
                text=(text := inputs.check_text(message.text, field_name=where)),
                is_final=True,
                client_id=import_client_id(message.id),
                created_at=message.created_at,
                metadata=inputs.check_metadata(message.metadata, field_name=where),
                tokens=tokens.text_tokens(text),
            )
        )
    title = " ".join(title.split())
    if len(title) > settings.MAX_TITLE_CHARS:  # cut at a word: the messages hold the conversation whole
        title = title[: settings.MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-") + "…"
    title = inputs.check_title(title)
    arguments = {
        "user": user,
        "source": source,
        "source_id": source_id,
        "title": title,
        "messages": messages,
        "prepared": prepared,
        "head_id": head_id,
        "created_at": created_at,
        "last_activity_at": last_activity_at,
        "persona": persona,
        "state": state or {},
        "folder_id": folder_id,
        "tags": list(tags)[: settings.MAX_TAGS_PER_SESSION],
        "title_source": title_source if title and title_source in TitleSource.values else title_source_of(title),
    }
    try:
        with transaction.atomic():
            return _conversation_import(**arguments)
    except IntegrityError:
        # The same conversation, imported at this moment by another job: it committed first, so
        # this one finds it now and adds what it still lacks.
        with transaction.atomic():
            return _conversation_import(**arguments)


def _conversation_import(
    *,
    user: User,
    source: str,
    source_id: str,
    title: str,
    messages: Sequence[ImportedMessage],
    prepared: list[PreparedUtterance],
    head_id: str | None,
    created_at: datetime | None,
    last_activity_at: datetime | None,
    persona: Persona | None,
    state: dict,
    folder_id: uuid.UUID | None,
    tags: list[str],
    title_source: str,
) -> ImportOutcome:
    now = timezone.now()
    session_id = (
        ImportedConversation.objects.filter(user=user, source=source, source_id=source_id)
        .values_list("session_id", flat=True)
        .first()
    )
    if session_id is None and source == "ours":
        # Our own export brought back into the account it came from: its sessions are here.
        with contextlib.suppress(Session.DoesNotExist):
            own = Session.objects.filter(user=user, pk=session_id_parse(source_id)).values_list("pk", flat=True).first()
            if own is not None:
                return ImportOutcome(result="present", session_id=own, stored=0)
    seq_of: dict[str, int] = {}
    if session_id is not None:
        session = Session.objects.select_for_update().get(pk=session_id)
        if session.deleted_at is not None:
            return ImportOutcome(result="present", session_id=session.pk, stored=0)
        by_client_id = {p.client_id: m.id for p, m in zip(prepared, messages, strict=True)}
        for start in range(0, len(prepared), IMPORT_APPEND_BATCH):
            found = Utterance.objects.filter(
                session=session, client_id__in=[p.client_id for p in prepared[start : start + IMPORT_APPEND_BATCH]]
            ).values_list("client_id", "seq")
            seq_of.update((by_client_id[client_id], seq) for client_id, seq in found)
        if len(seq_of) == len(messages):
            return ImportOutcome(result="present", session_id=session.pk, stored=0)
        result, activity_before = "updated", session.last_activity_at
    else:
        first_time = messages[0].created_at if messages else now
        session = Session(
            user=user,
            persona=persona or persona_resolve(persona=None),
            title=title,
            # The source's title is its owner's, so the model never replaces it (docs/context.md,
            # "Titles"), unless our own export says the first message or the model named it.
            title_source=title_source,
            metadata={"import": {"source": source, "id": source_id}},
            created_at=min(created_at or first_time, first_time),
        )
        session.save(force_insert=True)
        ImportedConversation.objects.create(session=session, user=user, source=source, source_id=source_id)
        result, activity_before = "imported", None

    stored = 0
    batch: list[int] = []  # indexes into messages / prepared, one chain after the head

    def flush() -> None:
        nonlocal session, stored
        if batch:
            session, rows = append_statement.append_rows(
                user=user, session_id=session.pk, items=[prepared[i] for i in batch]
            )
            seq_of.update((messages[i].id, row.seq) for i, row in zip(batch, rows, strict=True))
            stored += len(rows)
            batch.clear()

    for index, message in enumerate(messages):
        if message.id in seq_of:
            continue
        if batch and message.parent_id == messages[batch[-1]].id and len(batch) < IMPORT_APPEND_BATCH:
            batch.append(index)
            continue
        follows_batch = bool(batch) and message.parent_id == messages[batch[-1]].id
        flush()
        parent_seq = seq_of.get(message.parent_id) if message.parent_id is not None else None
        if not follows_batch and parent_seq != session.head_seq:
            branch_start(session=session, fork_seq=parent_seq)
        batch.append(index)
    flush()

    head_seq = seq_of.get(head_id) if head_id is not None else None
    if head_seq is not None and head_seq != session.head_seq:
        target = Utterance.objects.only("seq", "branch").get(session=session, seq=head_seq)
        session_head_to_leaf(session=session, target=target)

    newest = max((m.created_at for m in messages), default=now)
    activity = max(filter(None, [last_activity_at, newest, activity_before]))
    changes = {"last_activity_at": min(activity, now)}
    if result == "imported":
        changes["restored_at"] = now
        for key in ("pinned_at", "archived_at"):
            if state.get(key) is not None:
                changes[key] = state[key]
        if state.get("deleted_at") is not None:
            changes["deleted_at"] = now  # in the trash, for its whole time there
    else:
        session_head_announce(session=session)
    if result == "imported":  # placed while still live (the services place live chats only), then its state
        if folder_id is not None:
            # A folder the user removed while the import ran: the chat comes in outside any folder.
            with contextlib.suppress(Folder.DoesNotExist):
                sessions_move_to_folder(user=user, session_ids=[session.pk], folder_id=folder_id)
        if tags:
            _tags_place(user=user, session_id=session.pk, names=tags)
    Session.objects.filter(pk=session.pk).update(**changes)
    return ImportOutcome(result=result, session_id=session.pk, stored=stored)


def _tags_place(*, user: User, session_id: uuid.UUID, names: Sequence[str]) -> None:
    """Our export's tags on a new chat, never at the cost of the chat: a name no tag can have is
    dropped, and past MAX_TAGS only the names of the account's own tags are put on."""
    valid = []
    for name in names:
        with contextlib.suppress(ValidationError):
            valid.append(tag_name_clean(name))
    try:
        with transaction.atomic():
            sessions_tag(user=user, session_ids=[session_id], names=valid)
    except ValidationError:
        own = {tag_key(name) for name in Tag.objects.filter(user=user).values_list("name", flat=True)}
        sessions_tag(user=user, session_ids=[session_id], names=[name for name in valid if tag_key(name) in own])

"""Reading the files people bring (docs/imports.md): each format's conversations, one at a time from
a stream, as SourceConversation, so that memory holds one conversation whatever the file's size.

Nothing here writes; imports.services stores what this reads.
"""

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import ijson
from django.conf import settings
from django.utils.dateparse import parse_datetime

from imports import guard

FORMATS = {
    "chatgpt": "ChatGPT",
    "claude": "Claude",
    "openwebui": "Open WebUI",
    "librechat": "LibreChat",
    "ours": "This product's export",
}
# ChatGPT's export zip: conversations.json, or since 2025 conversations-000.json, -001, ...
CHATGPT_MEMBER = re.compile(r"(?:^|/)conversations(?:-(\d+))?\.json$")
ROOTS = {"00000000-0000-0000-0000-000000000000", "00000000-0000-4000-8000-000000000000"}
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class ImportFileError(Exception):
    """The file as a whole cannot be read: what to tell the person who brought it."""


class ConversationProblem(Exception):
    """One conversation cannot be imported as it stands: the reason, for its line of the report."""


@dataclass
class SourceMessage:
    """One node of a conversation as the source has it. `role` is None for a turn not imported
    (hidden, system, tool or reasoning: counted as skipped); `structural` marks a node that is no
    turn at all (ChatGPT's empty root)."""

    id: str
    parent_id: str | None
    role: str | None
    text: str = ""
    created_at: datetime | None = None
    metadata: dict = field(default_factory=dict)
    structural: bool = False


@dataclass
class SourceConversation:
    source: str
    id: str
    title: str
    created_at: datetime | None
    updated_at: datetime | None
    nodes: list[SourceMessage]
    current_id: str | None
    skipped_parts: int = 0  # reasoning or tool parts inside kept messages (Claude, LibreChat)
    # The nodes are listed in the order they were written (our export, by seq): stored in that order,
    # so that seqs come back as they were.
    in_writing_order: bool = False
    problem: str = ""  # set when the conversation could not be read at all
    # Our own export: the session's pinned / archived / trash state and its persona, kept on import.
    state: dict = field(default_factory=dict)
    persona: str = ""


@dataclass
class ConversationTree:
    """A conversation's kept messages in the order they are stored, parents before children: a
    depth-first walk (older children first, each branch's messages one after the other), or the
    order they were written when the source keeps it."""

    messages: list[SourceMessage]
    parents: dict[str, str | None]  # kept message -> its nearest kept ancestor
    head_id: str | None
    skipped: int


@dataclass
class Reader:
    format: str
    conversations: Iterator[SourceConversation]
    total: int | None  # when the file says how many it holds
    position: Callable[[], int]  # bytes of the upload read so far


def moment(value: Any) -> datetime | None:
    """Unix seconds (or milliseconds), or ISO 8601; None for missing, unreadable or absurd values."""
    result = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            result = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        try:
            result = parse_datetime(value.strip().replace(" ", "T", 1))
        except ValueError:
            return None
        if result is not None and result.tzinfo is None:
            result = result.replace(tzinfo=UTC)
    if result is None or not EARLIEST <= result <= datetime.now(UTC) + timedelta(days=1):
        return None
    return result


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text as every database keeps it: NUL characters (which PostgreSQL refuses) dropped, unpaired
    surrogates (which no UTF-8 holds) replaced by U+FFFD."""
    text = text.replace("\x00", "")
    return text if text.isascii() else SURROGATE.sub("\ufffd", text)


def id_check(value: str, *, what: str, max_chars: int | None = None) -> None:
    """ConversationProblem for an id that cannot be kept as it is: ids find a conversation again on the
    next import, so they are never altered."""
    if max_chars is not None and len(value) > max_chars:
        raise ConversationProblem(f"{what} is {len(value)} characters long; at most {max_chars} can be kept.")
    if storable(value) != value:
        raise ConversationProblem(f"{what} holds NUL characters or unpaired surrogates, which cannot be stored.")


def _id(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else ""


def _placeholder(attachments: list[dict]) -> str:
    """The text of a message that holds only attachments: what they were, in brackets."""
    return "[" + ", ".join(a.get("name") or a.get("type") or "attachment" for a in attachments) + "]"


def _message(
    node_id: str,
    parent_id: str | None,
    role: str | None,
    text: str,
    created_at: datetime | None,
    *,
    attachments: list[dict],
    model: Any = None,
) -> SourceMessage:
    """A message as kept: one that holds only attachments reads as their names (noted in its
    metadata, with its model); one with neither text nor attachments is a turn not imported."""
    if not text.strip():
        text = _placeholder(attachments) if attachments and role else ""
        role = role if text else None
    metadata: dict = {"attachments": attachments} if attachments else {}
    if _text(model):
        metadata["model"] = model
    return SourceMessage(
        id=node_id, parent_id=parent_id, role=role, text=text, created_at=created_at, metadata=metadata
    )


# ---- ChatGPT --------------------------------------------------------------------------------------

CHATGPT_TEXT_TYPES = ("text", "multimodal_text")  # a tuple: `in` compares, whatever the value's type


def _chatgpt_message(node_id: str, parent: str | None, message: dict) -> SourceMessage:
    author = message.get("author") if isinstance(message.get("author"), dict) else {}
    role = author.get("role")
    metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    content = message.get("content") if isinstance(message.get("content"), dict) else {}
    content_type = content.get("content_type")
    created_at = moment(message.get("create_time"))
    skipped = SourceMessage(id=node_id, parent_id=parent, role=None, created_at=created_at)
    if (
        role not in ("user", "assistant")
        or metadata.get("is_visually_hidden_from_conversation")
        or message.get("recipient") not in (None, "all")
    ):
        return skipped
    texts, attachments = [], []
    if content_type in CHATGPT_TEXT_TYPES:
        for part in _list(content.get("parts")):
            if isinstance(part, str):
                if part:
                    texts.append(part)
            elif isinstance(part, dict):
                if part.get("content_type") == "audio_transcription" and _text(part.get("text")):
                    texts.append(part["text"])
                elif part.get("content_type") != "audio_transcription":
                    kind = str(part.get("content_type") or "attachment").removesuffix("_asset_pointer")
                    attachments.append({"type": kind, "ref": _text(part.get("asset_pointer"))})
    elif content_type == "code" and _text(content.get("text")):
        texts.append(f"```{_text(content.get('language')).replace('unknown', '')}\n{content['text']}\n```")
    else:
        return skipped  # reasoning (thoughts, reasoning_recap), browsing, execution output, ...
    for item in _list(metadata.get("attachments")):
        if isinstance(item, dict):
            attachments.append({"type": "file", "name": _text(item.get("name")), "ref": _id(item.get("id"))})
    text = "\n\n".join(texts)
    if not text.strip():
        if not attachments:
            return skipped
        text = _placeholder(attachments)
    kept = {"attachments": attachments} if attachments else {}
    if _text(metadata.get("model_slug")):
        kept["model"] = metadata["model_slug"]
    return SourceMessage(id=node_id, parent_id=parent, role=role, text=text, created_at=created_at, metadata=kept)


def chatgpt_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    mapping = item.get("mapping") if isinstance(item.get("mapping"), dict) else {}
    nodes = []
    for key, node in mapping.items():
        node = node if isinstance(node, dict) else {}
        node_id = _id(node.get("id")) or key
        parent = _id(node.get("parent")) or None
        message = node.get("message")
        if isinstance(message, dict):
            nodes.append(_chatgpt_message(node_id, parent, message))
        else:
            nodes.append(SourceMessage(id=node_id, parent_id=parent, role=None, structural=True))
    return SourceConversation(
        source="chatgpt",
        id=_id(item.get("conversation_id")) or _id(item.get("id")),
        title=_text(item.get("title")),
        created_at=moment(item.get("create_time")),
        updated_at=moment(item.get("update_time")),
        nodes=nodes,
        current_id=_id(item.get("current_node")) or None,
    )


# ---- Claude ---------------------------------------------------------------------------------------

CLAUDE_ROLES = {"human": "user", "assistant": "assistant"}


def claude_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    messages = [m for m in _list(item.get("chat_messages")) if isinstance(m, dict)]
    linked = any(_id(m.get("parent_message_uuid")) for m in messages)
    nodes, skipped_parts, previous = [], 0, None
    for index, message in enumerate(messages):
        node_id = _id(message.get("uuid")) or f"#{index}"
        texts, attachments = [], []
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                if _text(part.get("text")):
                    texts.append(part["text"])
            elif part.get("type") in ("image", "document"):
                attachments.append({"type": part["type"]})
            else:  # thinking, tool_use, tool_result, ...
                skipped_parts += 1
        if not texts and _text(message.get("text")):
            texts.append(message["text"])
        for key in ("attachments", "files"):
            for item_file in _list(message.get(key)):
                if isinstance(item_file, dict):
                    name = _text(item_file.get("file_name"))
                    attachments.append({"type": "file", "name": name, "ref": _id(item_file.get("file_uuid"))})
        parent = _id(message.get("parent_message_uuid")) or None if linked else previous
        nodes.append(
            _message(
                node_id,
                None if parent in ROOTS else parent,
                CLAUDE_ROLES.get(_text(message.get("sender"))),
                "\n\n".join(texts),
                moment(message.get("created_at")),
                attachments=attachments,
            )
        )
        previous = node_id
    return SourceConversation(
        source="claude",
        id=_id(item.get("uuid")),
        title=_text(item.get("name")),
        created_at=moment(item.get("created_at")),
        updated_at=moment(item.get("updated_at")),
        nodes=nodes,
        current_id=_id(item.get("current_leaf_message_uuid")) or previous,
        skipped_parts=skipped_parts,
    )


# ---- Open WebUI -----------------------------------------------------------------------------------


def _openwebui_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style parts
        return "\n\n".join(_text(p.get("text")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def openwebui_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    chat = item.get("chat") if isinstance(item.get("chat"), dict) else {}
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    stored = history.get("messages") if isinstance(history.get("messages"), dict) else None
    current = _id(history.get("currentId")) or None
    if stored is None:  # no tree: the flat list, each message after the one before
        stored, previous = {}, None
        for index, message in enumerate(m for m in _list(chat.get("messages")) if isinstance(m, dict)):
            key = _id(message.get("id")) or f"#{index}"
            stored[key] = {**message, "parentId": previous}
            previous = key
        current = current or previous
    nodes = []
    for key, message in stored.items():
        message = message if isinstance(message, dict) else {}
        attachments = [
            {"type": _text(f.get("type")) or "file", "name": _text(f.get("name"))}
            for f in _list(message.get("files"))
            if isinstance(f, dict)
        ]
        nodes.append(
            _message(
                _id(message.get("id")) or key,
                _id(message.get("parentId")) or None,
                message.get("role") if message.get("role") in ("user", "assistant") else None,
                _openwebui_content(message.get("content")),
                moment(message.get("timestamp")),
                attachments=attachments,
                model=message.get("model"),
            )
        )
    return SourceConversation(
        source="openwebui",
        id=_id(item.get("id")) or _id(chat.get("id")),
        title=_text(item.get("title")) or _text(chat.get("title")),
        created_at=moment(item.get("created_at")) or moment(chat.get("timestamp")),
        updated_at=moment(item.get("updated_at")),
        nodes=nodes,
        current_id=current,
    )


# ---- LibreChat ------------------------------------------------------------------------------------


def _librechat_text(message: dict) -> tuple[str, int]:
    """Its text, and how many reasoning or tool parts it held."""
    content, texts, skipped = message.get("content"), [], 0
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text":
            value = part.get("text")
            value = value.get("value") if isinstance(value, dict) else value
            if _text(value):
                texts.append(value)
        elif part.get("type") in ("think", "tool_call", "error"):
            skipped += 1
    if not texts and _text(message.get("text")):
        texts.append(message["text"])
    return "\n\n".join(texts), skipped


def librechat_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    flat = [m for m in _list(item.get("messages")) if isinstance(m, dict)]
    stack = [m for m in reversed(_list(item.get("messagesTree"))) if isinstance(m, dict)]
    while stack:  # the nested export: walked without recursion, whatever its depth
        message = stack.pop()
        flat.append(message)
        stack.extend(m for m in reversed(_list(message.get("children"))) if isinstance(m, dict))
    nodes, skipped_parts = [], 0
    for index, message in enumerate(flat):
        text, skipped = _librechat_text(message)
        skipped_parts += skipped
        attachments = [
            {"type": _text(f.get("type")) or "file", "name": _text(f.get("filename"))}
            for f in _list(message.get("files"))
            if isinstance(f, dict)
        ]
        parent = _id(message.get("parentMessageId")) or None
        nodes.append(
            _message(
                _id(message.get("messageId")) or f"#{index}",
                None if parent in ROOTS else parent,
                "user" if message.get("isCreatedByUser") else "assistant",
                text,
                moment(message.get("createdAt")),
                attachments=attachments,
                model=message.get("model"),
            )
        )
    return SourceConversation(
        source="librechat",
        id=_id(item.get("conversationId")),
        title=_text(item.get("title")),
        created_at=moment(item.get("createdAt")),
        updated_at=moment(item.get("updatedAt")),
        nodes=nodes,
        current_id=None,  # LibreChat keeps no current node: the newest message's branch is shown
        skipped_parts=skipped_parts,
    )


# ---- ours -----------------------------------------------------------------------------------------


def ours_conversation(item: Any, state: dict | None = None) -> SourceConversation:
    """One session as our export writes it (conversation/exports.py: session_json)."""
    if not isinstance(item, dict) or not isinstance(item.get("session"), dict):
        raise ConversationProblem("Not a session of this product's export.")
    session = item["session"]
    nodes = []
    for index, message in enumerate(m for m in _list(item.get("messages")) if isinstance(m, dict)):
        parent = message.get("parent_seq")
        metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
        nodes.append(
            SourceMessage(
                id=_id(message.get("seq")) or f"#{index}",
                parent_id=_id(parent) or None,
                role=message.get("role") if message.get("role") in ("user", "assistant", "system") else None,
                text=_text(message.get("text")),
                created_at=moment(message.get("created_at")),
                metadata=metadata,
            )
        )
    listed = [m for m in _list(item.get("messages")) if isinstance(m, dict)]
    if listed and "parent_seq" not in listed[0]:  # an export from before branches: a list
        for before, node in zip([None, *nodes], nodes, strict=False):
            node.parent_id = before.id if before else None
    head = session.get("head_seq")
    return SourceConversation(
        source="ours",
        id=_id(session.get("id")),
        title=_text(session.get("title")),
        created_at=moment(session.get("created_at")),
        updated_at=moment(session.get("last_activity_at")),
        nodes=nodes,
        current_id=_id(head) or (nodes[-1].id if nodes else None),
        in_writing_order=True,
        persona=_text((session.get("persona") or {}).get("slug")) if isinstance(session.get("persona"), dict) else "",
        state={key: moment((state or session).get(key)) for key in ("pinned_at", "archived_at", "deleted_at")},
    )


# ---- the tree -------------------------------------------------------------------------------------


def conversation_tree(conversation: SourceConversation) -> ConversationTree:
    """The kept messages in storing order (a depth-first walk, or the order they were written when
    the source keeps it), each with its nearest kept ancestor; skipped turns hand their children to
    it. The head: the source's current node (its nearest kept ancestor), or, when
    the source names none, the newest leaf. ConversationProblem for a tree that is no tree."""
    by_id: dict[str, SourceMessage] = {}
    for node in conversation.nodes:
        if node.id in by_id:
            raise ConversationProblem(f"Two messages have the id {node.id[:60]!r}.")
        by_id[node.id] = node
    order = {node.id: index for index, node in enumerate(conversation.nodes)}
    children: dict[str | None, list[SourceMessage]] = {}
    for node in conversation.nodes:
        parent = node.parent_id if node.parent_id in by_id and node.parent_id != node.id else None
        children.setdefault(parent, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n.created_at or EARLIEST, order[n.id]))

    messages, parents, skipped, seen = [], {}, 0, 0
    # (node, its nearest kept ancestor, the time it inherits when it has none)
    stack = [(node, None, conversation.created_at) for node in reversed(children.get(None, []))]
    kept_ancestor: dict[str, str | None] = {}
    while stack:
        node, ancestor, inherited = stack.pop()
        seen += 1
        if node.role is None:
            skipped += 0 if node.structural else 1
            below = ancestor
        else:
            node.created_at = node.created_at or inherited
            messages.append(node)
            parents[node.id] = ancestor
            below = node.id
        kept_ancestor[node.id] = below
        time = node.created_at or inherited
        stack.extend((child, below, time) for child in reversed(children.get(node.id, [])))
    if seen != len(conversation.nodes):
        raise ConversationProblem("Its messages' parents form a loop.")

    if conversation.in_writing_order:
        position = {node.id: order[node.id] for node in messages}
        if all(parents[m.id] is None or position[parents[m.id]] < position[m.id] for m in messages):
            messages.sort(key=lambda node: position[node.id])
    head = kept_ancestor.get(conversation.current_id) if conversation.current_id else None
    if head is None and messages:  # the newest leaf: a branch shown whole, never cut at an inner message
        inner = set(parents.values())
        leaves = [node for node in messages if node.id not in inner]
        head = max(leaves, key=lambda n: (n.created_at or EARLIEST, order[n.id])).id
    return ConversationTree(
        messages=messages, parents=parents, head_id=head, skipped=skipped + conversation.skipped_parts
    )


# ---- files ----------------------------------------------------------------------------------------

PARSERS = {
    "chatgpt": chatgpt_conversation,
    "claude": claude_conversation,
    "openwebui": openwebui_conversation,
    "librechat": librechat_conversation,
    "ours": ours_conversation,
}


# What reading a file's JSON raises: not JSON, not UTF-8, or past a bound of imports.guard.
JSON_ERRORS = (ijson.JSONError, UnicodeDecodeError, guard.InputBoundError)


def _bounded(stream: IO[bytes], *, max_depth: int | None = None) -> guard.BoundedStream:
    """`stream` as the JSON parser reads it: refused past IMPORT_MAX_DEPTH (or `max_depth`) and
    IMPORT_MAX_STRING_BYTES, as it is read."""
    return guard.BoundedStream(
        stream,
        max_depth=max_depth or settings.IMPORT_MAX_DEPTH,
        max_string_bytes=settings.IMPORT_MAX_STRING_BYTES,
    )


def _items(stream: IO[bytes], source: str, prefix: str) -> Iterator:
    """Each conversation of a JSON array (or the one object) read from `stream`, parsed; one that
    cannot be parsed is yielded as a SourceConversation with its problem, the rest go on."""
    try:
        if source == "librechat":  # its tree nests deep, which ijson.items' paths cannot afford
            items = _items_deep(_bounded(stream, max_depth=settings.IMPORT_MAX_TREE_DEPTH), prefix)
        else:
            items = ijson.items(_bounded(stream), prefix, use_float=True)
        for item in items:
            yield _parsed(item, source, PARSERS[source])
    except JSON_ERRORS as exc:
        raise ImportFileError(_json_error(exc)) from exc


def _items_deep(stream: guard.BoundedStream, prefix: str) -> Iterator:
    """What ijson.items(stream, prefix) yields for prefix "" or "item", built from the parser's
    events without the path of each (ijson's grow with the depth, so their cost with its square)."""
    events = ijson.basic_parse(stream, use_float=True)
    depth = 0 if prefix == "item" else 1  # of the values to yield: 1, inside the array, or the top
    builder = None
    for event, value in events:
        if depth == 0:
            if event != "start_array":
                return
            depth = 1
            continue
        if depth == 1:
            if event == "end_array" and prefix == "item":
                return
            builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 1:
            yield builder.value
            if prefix == "":
                return


def _parsed(item: Any, source: str, parse: Callable[[Any], SourceConversation]) -> SourceConversation:
    try:
        return parse(item)
    except ConversationProblem as exc:
        ident = item.get("id") or item.get("uuid") or item.get("conversationId") if isinstance(item, dict) else ""
        title = (item.get("title") or item.get("name") or "") if isinstance(item, dict) else ""
        return SourceConversation(
            source=source,
            id=_id(ident),
            title=_text(title),
            created_at=None,
            updated_at=None,
            nodes=[],
            current_id=None,
            problem=str(exc),
        )


def _json_error(exc: Exception) -> str:
    if isinstance(exc, guard.InputBoundError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"The file is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} is not): export it again."
    if "premature EOF" in str(exc) or "Incomplete JSON" in type(exc).__name__:
        return "The file ends before its JSON does: it was cut short (download it again)."
    said = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "nothing more"
    return f"The file is not valid JSON, so it is not an export this product reads (the parser said: {said})."


def _sniff(stream: IO[bytes]) -> tuple[str, str]:
    """(format, the ijson prefix of its conversations) from the keys of the first conversation:
    read as a stream, never more than the start of the file, and without ijson's paths (a
    LibreChat tree nests deep)."""
    top_keys: set[str] = set()
    item_keys: set[str] = set()
    is_array = None
    depth = 0
    try:
        events = ijson.basic_parse(_bounded(stream, max_depth=settings.IMPORT_MAX_TREE_DEPTH))
        for count, (event, value) in enumerate(events):
            if is_array is None:
                if event not in ("start_array", "start_map"):
                    break
                is_array, depth = event == "start_array", 1
                continue
            if event == "map_key" and depth == (2 if is_array else 1):
                (item_keys if is_array else top_keys).add(value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if (is_array and depth == 1 and event == "end_map") or depth == 0:
                    break  # the first conversation read, or the file's end
            if count > 200_000:
                break
    except JSON_ERRORS as exc:
        if not (item_keys or top_keys):
            raise ImportFileError(_json_error(exc)) from exc
    keys = item_keys or top_keys
    prefix = "item" if is_array else ""
    if is_array and not item_keys:
        return "", prefix  # an empty array: nothing to import, whatever it was
    if "mapping" in keys:
        return "chatgpt", prefix
    if "chat_messages" in keys:
        return "claude", prefix
    if "chat" in keys:
        return "openwebui", prefix
    if "conversationId" in keys or "messagesTree" in keys:
        return "librechat", prefix
    if "session" in keys and "messages" in keys:
        return "ours", prefix
    raise ImportFileError(
        "This file holds no conversations this product can read: it is not a ChatGPT, Claude, Open WebUI "
        "or LibreChat export, nor one of ours."
    )


def conversations_open(stream: IO[bytes], *, format_hint: str = "") -> Reader:
    """The conversations of an uploaded file (JSON or zip, opened binary and seekable), with the
    format found; ImportFileError when it is neither, or holds nothing this product reads. A
    `format_hint` names the format expected: a file of another is refused, not misread."""
    start = stream.read(4)
    stream.seek(0)
    if not start.strip():
        raise ImportFileError("The file is empty.")
    if start.startswith(b"PK"):
        reader = _zip_open(stream)
    else:
        found, prefix = _sniff(stream)
        stream.seek(0)
        found = found or format_hint or "chatgpt"
        reader = Reader(format=found, conversations=_items(stream, found, prefix), total=None, position=stream.tell)
    if format_hint and reader.format != format_hint:
        raise ImportFileError(
            f"This file is {FORMATS[reader.format]}'s format, not {FORMATS[format_hint]}'s: "
            "choose that format, or let it be detected."
        )
    return reader


def _zip_open(stream: IO[bytes]) -> Reader:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError("The zip file cannot be read: it is damaged or cut short (download it again).") from exc
    names = {info.filename: info for info in archive.infolist()}
    too_big = [n for n, info in names.items() if info.file_size > settings.IMPORT_MAX_MEMBER_BYTES]
    if too_big:
        raise ImportFileError(f"{too_big[0]} unpacks to more than {settings.IMPORT_MAX_MEMBER_BYTES} bytes.")
    # A member is never read past the size it declares (zipfile stops there), and each is read once:
    # what unpacking costs is bounded by the sum.
    if sum(info.file_size for info in names.values()) > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise ImportFileError(f"The zip unpacks to more than {settings.IMPORT_MAX_UNPACKED_BYTES:,} bytes in all.")
    if "manifest.json" in names:
        return _ours_zip(archive, stream)
    members = sorted(
        (int(m.group(1) or -1), name) for name in names if (m := CHATGPT_MEMBER.search(name)) and "__MACOSX" not in name
    )
    if not members:
        raise ImportFileError(
            "This zip holds no conversations.json (nor conversations-NNN.json): is it a ChatGPT or Claude export?"
        )
    try:
        with archive.open(members[0][1]) as first:
            found, _ = _sniff(first)
    except ZIP_ERRORS as exc:
        raise ImportFileError(_zip_error(exc)) from exc
    found = found or "chatgpt"
    if found not in ("chatgpt", "claude"):
        raise ImportFileError(f"The zip's {members[0][1]} is not a ChatGPT or Claude export.")

    def conversations() -> Iterator[SourceConversation]:
        for _, name in members:
            with archive.open(name) as member:
                yield from _items(member, found, "item")

    return Reader(format=found, conversations=_guarded(conversations()), total=None, position=stream.tell)


# What reading a zip member raises when the zip is damaged, cut short, encrypted (RuntimeError) or
# compressed in a way Python cannot unpack (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _zip_error(exc: Exception) -> str:
    if isinstance(exc, RuntimeError | NotImplementedError):
        return f"The zip file cannot be unpacked ({str(exc)[:200]}): export it again without a password."
    return "The zip file is damaged or cut short (download it again)."


def _guarded(conversations: Iterator[SourceConversation]) -> Iterator[SourceConversation]:
    """A zip member that breaks off (damaged, cut short, encrypted) is a file error, not a crash."""
    try:
        yield from conversations
    except ZIP_ERRORS as exc:
        raise ImportFileError(_zip_error(exc)) from exc


def _ours_zip(archive: zipfile.ZipFile, stream: IO[bytes]) -> Reader:
    with archive.open("manifest.json") as manifest:
        try:
            head = {
                prefix: value for prefix, _, value in ijson.parse(_bounded(manifest)) if prefix in ("format", "version")
            }
        except JSON_ERRORS as exc:
            raise ImportFileError("The export's manifest.json is not valid JSON.") from exc
    if head.get("format") != "chat-account-export":
        raise ImportFileError("This zip's manifest.json is not this product's account export.")
    total = sum(1 for name in archive.namelist() if name.startswith("sessions/") and name.endswith(".json"))

    def conversations() -> Iterator[SourceConversation]:
        read: set[str] = set()
        with archive.open("manifest.json") as manifest:
            try:
                for entry in ijson.items(_bounded(manifest), "sessions.item", use_float=True):
                    name = entry.get("json") if isinstance(entry, dict) else None
                    if not isinstance(name, str) or name not in archive.NameToInfo:
                        raise ImportFileError(f"The export's manifest names {str(name)[:100]}, which it lacks.")
                    if name in read:
                        raise ImportFileError(f"The export's manifest names {name[:100]} twice.")
                    read.add(name)
                    with archive.open(name) as member:
                        for item in ijson.items(_bounded(member), "", use_float=True):
                            yield _parsed(item, "ours", lambda item, entry=entry: ours_conversation(item, entry))
            except JSON_ERRORS as exc:
                raise ImportFileError(_json_error(exc)) from exc

    return Reader(format="ours", conversations=_guarded(conversations()), total=total, position=stream.tell)

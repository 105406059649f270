"""A conversation as a source file has it, whatever its format (imports/parsers.py reads each
format into these): its messages, the tree they form and its head, and what a text or id must be
to be stored.

Nothing here reads files or writes; imports.formats reads, imports.writer stores.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


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
    # Our own export: the session's folder (the export's id for it, "" for none) and its tags' names.
    folder: str = ""
    tags: list[str] = field(default_factory=list)
    # Our own export: who named it (auto, model or user; "" when the file does not say).
    title_source: str = ""


@dataclass(frozen=True)
class SourceFolder:
    """One folder of our own export's tree (folders.json): its id there, its parent's, its name."""

    id: str
    parent_id: str | None
    name: str
    persona: str = ""
    instructions: str = ""


@dataclass
class ConversationTree:
    """A conversation's kept messages in the order they are stored, parents before children: a
    depth-first walk (older children first, each branch's messages one after the other), or the
    order they were written when the source keeps it."""

    messages: list[SourceMessage]
    parents: dict[str, str | None]  # kept message -> its nearest kept ancestor
    head_id: str | None
    skipped: int


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


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
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


def as_id(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else ""


def attachments_placeholder(attachments: list[dict]) -> str:
    """The text of a message that holds only attachments: what they were, in brackets."""
    return "[" + ", ".join(a.get("name") or a.get("type") or "attachment" for a in attachments) + "]"


def source_message(
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
        text = attachments_placeholder(attachments) if attachments and role else ""
        role = role if text else None
    metadata: dict = {"attachments": attachments} if attachments else {}
    if as_text(model):
        metadata["model"] = model
    return SourceMessage(
        id=node_id, parent_id=parent_id, role=role, text=text, created_at=created_at, metadata=metadata
    )


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

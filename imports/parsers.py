"""Each format's conversation, read from the one JSON value the file holds for it, as a
SourceConversation (docs/imports.md names the formats): ChatGPT, Claude, Open WebUI, LibreChat and
this product's own export. A value that is no conversation raises ConversationProblem.
"""

from typing import Any

from imports.source import (
    ConversationProblem,
    SourceConversation,
    SourceFolder,
    SourceMessage,
    as_id,
    as_list,
    as_text,
    attachments_placeholder,
    moment,
    source_message,
    storable,
)

# The ids a source gives the root it hangs its first message on (Claude, LibreChat): no parent.
ROOTS = {"00000000-0000-0000-0000-000000000000", "00000000-0000-4000-8000-000000000000"}


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
        for part in as_list(content.get("parts")):
            if isinstance(part, str):
                if part:
                    texts.append(part)
            elif isinstance(part, dict):
                if part.get("content_type") == "audio_transcription" and as_text(part.get("text")):
                    texts.append(part["text"])
                elif part.get("content_type") != "audio_transcription":
                    kind = str(part.get("content_type") or "attachment").removesuffix("_asset_pointer")
                    attachments.append({"type": kind, "ref": as_text(part.get("asset_pointer"))})
    elif content_type == "code" and as_text(content.get("text")):
        texts.append(f"```{as_text(content.get('language')).replace('unknown', '')}\n{content['text']}\n```")
    else:
        return skipped  # reasoning (thoughts, reasoning_recap), browsing, execution output, ...
    for item in as_list(metadata.get("attachments")):
        if isinstance(item, dict):
            attachments.append({"type": "file", "name": as_text(item.get("name")), "ref": as_id(item.get("id"))})
    text = "\n\n".join(texts)
    if not text.strip():
        if not attachments:
            return skipped
        text = attachments_placeholder(attachments)
    kept = {"attachments": attachments} if attachments else {}
    if as_text(metadata.get("model_slug")):
        kept["model"] = metadata["model_slug"]
    return SourceMessage(id=node_id, parent_id=parent, role=role, text=text, created_at=created_at, metadata=kept)


def chatgpt_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    mapping = item.get("mapping") if isinstance(item.get("mapping"), dict) else {}
    nodes = []
    for key, node in mapping.items():
        node = node if isinstance(node, dict) else {}
        node_id = as_id(node.get("id")) or key
        parent = as_id(node.get("parent")) or None
        message = node.get("message")
        if isinstance(message, dict):
            nodes.append(_chatgpt_message(node_id, parent, message))
        else:
            nodes.append(SourceMessage(id=node_id, parent_id=parent, role=None, structural=True))
    return SourceConversation(
        source="chatgpt",
        id=as_id(item.get("conversation_id")) or as_id(item.get("id")),
        title=as_text(item.get("title")),
        created_at=moment(item.get("create_time")),
        updated_at=moment(item.get("update_time")),
        nodes=nodes,
        current_id=as_id(item.get("current_node")) or None,
    )


# ---- Claude ---------------------------------------------------------------------------------------

CLAUDE_ROLES = {"human": "user", "assistant": "assistant"}


def claude_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    messages = [m for m in as_list(item.get("chat_messages")) if isinstance(m, dict)]
    linked = any(as_id(m.get("parent_message_uuid")) for m in messages)
    nodes, skipped_parts, previous = [], 0, None
    for index, message in enumerate(messages):
        node_id = as_id(message.get("uuid")) or f"#{index}"
        texts, attachments = [], []
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "text":
                if as_text(part.get("text")):
                    texts.append(part["text"])
            elif part.get("type") in ("image", "document"):
                attachments.append({"type": part["type"]})
            else:  # thinking, tool_use, tool_result, ...
                skipped_parts += 1
        if not texts and as_text(message.get("text")):
            texts.append(message["text"])
        for key in ("attachments", "files"):
            for item_file in as_list(message.get(key)):
                if isinstance(item_file, dict):
                    name = as_text(item_file.get("file_name"))
                    attachments.append({"type": "file", "name": name, "ref": as_id(item_file.get("file_uuid"))})
        parent = as_id(message.get("parent_message_uuid")) or None if linked else previous
        nodes.append(
            source_message(
                node_id,
                None if parent in ROOTS else parent,
                CLAUDE_ROLES.get(as_text(message.get("sender"))),
                "\n\n".join(texts),
                moment(message.get("created_at")),
                attachments=attachments,
            )
        )
        previous = node_id
    return SourceConversation(
        source="claude",
        id=as_id(item.get("uuid")),
        title=as_text(item.get("name")),
        created_at=moment(item.get("created_at")),
        updated_at=moment(item.get("updated_at")),
        nodes=nodes,
        current_id=as_id(item.get("current_leaf_message_uuid")) or previous,
        skipped_parts=skipped_parts,
    )


# ---- Open WebUI -----------------------------------------------------------------------------------


def _openwebui_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style parts
        return "\n\n".join(as_text(p.get("text")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def openwebui_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    chat = item.get("chat") if isinstance(item.get("chat"), dict) else {}
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    stored = history.get("messages") if isinstance(history.get("messages"), dict) else None
    current = as_id(history.get("currentId")) or None
    if stored is None:  # no tree: the flat list, each message after the one before
        stored, previous = {}, None
        for index, message in enumerate(m for m in as_list(chat.get("messages")) if isinstance(m, dict)):
            key = as_id(message.get("id")) or f"#{index}"
            stored[key] = {**message, "parentId": previous}
            previous = key
        current = current or previous
    nodes = []
    for key, message in stored.items():
        message = message if isinstance(message, dict) else {}
        attachments = [
            {"type": as_text(f.get("type")) or "file", "name": as_text(f.get("name"))}
            for f in as_list(message.get("files"))
            if isinstance(f, dict)
        ]
        nodes.append(
            source_message(
                as_id(message.get("id")) or key,
                as_id(message.get("parentId")) or None,
                message.get("role") if message.get("role") in ("user", "assistant") else None,
                _openwebui_content(message.get("content")),
                moment(message.get("timestamp")),
                attachments=attachments,
                model=message.get("model"),
            )
        )
    return SourceConversation(
        source="openwebui",
        id=as_id(item.get("id")) or as_id(chat.get("id")),
        title=as_text(item.get("title")) or as_text(chat.get("title")),
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
            if as_text(value):
                texts.append(value)
        elif part.get("type") in ("think", "tool_call", "error"):
            skipped += 1
    if not texts and as_text(message.get("text")):
        texts.append(message["text"])
    return "\n\n".join(texts), skipped


def librechat_conversation(item: Any) -> SourceConversation:
    if not isinstance(item, dict):
        raise ConversationProblem("Not a conversation (expected an object).")
    flat = [m for m in as_list(item.get("messages")) if isinstance(m, dict)]
    stack = [m for m in reversed(as_list(item.get("messagesTree"))) if isinstance(m, dict)]
    while stack:  # the nested export: walked without recursion, whatever its depth
        message = stack.pop()
        flat.append(message)
        stack.extend(m for m in reversed(as_list(message.get("children"))) if isinstance(m, dict))
    nodes, skipped_parts = [], 0
    for index, message in enumerate(flat):
        text, skipped = _librechat_text(message)
        skipped_parts += skipped
        attachments = [
            {"type": as_text(f.get("type")) or "file", "name": as_text(f.get("filename"))}
            for f in as_list(message.get("files"))
            if isinstance(f, dict)
        ]
        parent = as_id(message.get("parentMessageId")) or None
        nodes.append(
            source_message(
                as_id(message.get("messageId")) or f"#{index}",
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
        id=as_id(item.get("conversationId")),
        title=as_text(item.get("title")),
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
    for index, message in enumerate(m for m in as_list(item.get("messages")) if isinstance(m, dict)):
        parent = message.get("parent_seq")
        metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
        nodes.append(
            SourceMessage(
                id=as_id(message.get("seq")) or f"#{index}",
                parent_id=as_id(parent) or None,
                role=message.get("role") if message.get("role") in ("user", "assistant", "system") else None,
                text=as_text(message.get("text")),
                created_at=moment(message.get("created_at")),
                metadata=metadata,
            )
        )
    listed = [m for m in as_list(item.get("messages")) if isinstance(m, dict)]
    if listed and "parent_seq" not in listed[0]:  # an export from before branches: a list
        for before, node in zip([None, *nodes], nodes, strict=False):
            node.parent_id = before.id if before else None
    head = session.get("head_seq")
    return SourceConversation(
        source="ours",
        id=as_id(session.get("id")),
        title=as_text(session.get("title")),
        created_at=moment(session.get("created_at")),
        updated_at=moment(session.get("last_activity_at")),
        nodes=nodes,
        current_id=as_id(head) or (nodes[-1].id if nodes else None),
        in_writing_order=True,
        persona=as_text((session.get("persona") or {}).get("slug")) if isinstance(session.get("persona"), dict) else "",
        state={key: moment((state or session).get(key)) for key in ("pinned_at", "archived_at", "deleted_at")},
        folder=as_id(session.get("folder")),
        tags=[name for name in as_list(session.get("tags")) if isinstance(name, str)],
        title_source=as_text(session.get("title_source")),
    )


def ours_folders(items: Any) -> list[SourceFolder]:
    """Our export's folders.json, its "folders" items, parents first: those that are no folder left out."""
    folders = []
    for item in items:
        if not isinstance(item, dict) or not as_id(item.get("id")) or not as_text(item.get("name")):
            continue
        folders.append(
            SourceFolder(
                id=as_id(item.get("id")),
                parent_id=as_id(item.get("parent")) or None,
                name=storable(as_text(item.get("name"))),
                persona=storable(as_text(item.get("persona"))),
                instructions=storable(as_text(item.get("instructions"))),
            )
        )
    return folders


PARSERS = {
    "chatgpt": chatgpt_conversation,
    "claude": claude_conversation,
    "openwebui": openwebui_conversation,
    "librechat": librechat_conversation,
    "ours": ours_conversation,
}

"""Sample exports of each format, built from what the formats were found to hold (docs/imports.md):
the fields, their spellings and their gaps as the products write them, not a guess of ours."""

import io
import json
import zipfile

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def chatgpt_node(node_id, parent, children, message=None) -> dict:
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def chatgpt_message(node_id, role, parts, *, t=None, content_type="text", recipient="all", metadata=None, **extra):
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": t,
        "update_time": None,
        "content": {"content_type": content_type, "parts": parts, **extra},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 1.0,
        "metadata": metadata or {},
        "recipient": recipient,
        "channel": None,
    }


def chatgpt_trip(conversation_id="conv-trip") -> dict:
    """A chat with everything the export carries: the empty root, a hidden system message, custom
    instructions, an edit of the second question (two branches, the current one the edit), a tool
    call and its output, reasoning, an image with text, a message without a time."""
    m = chatgpt_message
    mapping = {
        "root": chatgpt_node("root", None, ["sys"]),
        "sys": chatgpt_node(
            "sys",
            "root",
            ["ctx"],
            m("sys", "system", [""], metadata={"is_visually_hidden_from_conversation": True}),
        ),
        "ctx": chatgpt_node(
            "ctx",
            "sys",
            ["u1"],
            {
                **m("ctx", "user", [], t=T0, content_type="user_editable_context"),
                "content": {
                    "content_type": "user_editable_context",
                    "user_profile": "I like trains",
                    "user_instructions": "",
                },
                "metadata": {"is_visually_hidden_from_conversation": True, "user_context_message_data": {}},
            },
        ),
        "u1": chatgpt_node("u1", "ctx", ["a1"], m("u1", "user", ["Where should I go in May?"], t=T0 + 1)),
        "a1": chatgpt_node(
            "a1",
            "u1",
            ["u2", "u2b"],
            m("a1", "assistant", ["Lisbon or Rome."], t=T0 + 2, metadata={"model_slug": "gpt-4o"}),
        ),
        "u2": chatgpt_node("u2", "a1", ["a2"], m("u2", "user", ["Tell me about Rome"], t=T0 + 3)),
        "a2": chatgpt_node("a2", "u2", [], m("a2", "assistant", ["Rome: ruins and pasta."], t=T0 + 4)),
        "u2b": chatgpt_node("u2b", "a1", ["think"], m("u2b", "user", ["Tell me about Lisbon"], t=T0 + 10)),
        "think": chatgpt_node(
            "think",
            "u2b",
            ["call"],
            {
                **m("think", "assistant", None, t=T0 + 11, content_type="thoughts"),
                "content": {"content_type": "thoughts", "thoughts": [{"summary": "Weather", "content": "..."}]},
            },
        ),
        "call": chatgpt_node(
            "call",
            "think",
            ["out"],
            {
                **m("call", "assistant", None, t=T0 + 12, recipient="python"),
                "content": {"content_type": "code", "language": "unknown", "text": "print(22)"},
            },
        ),
        "out": chatgpt_node(
            "out",
            "call",
            ["a2b"],
            {
                **m("out", "tool", None, t=T0 + 13),
                "author": {"role": "tool", "name": "python", "metadata": {}},
                "content": {"content_type": "execution_output", "text": "22"},
            },
        ),
        "a2b": chatgpt_node("a2b", "out", ["u3"], m("a2b", "assistant", ["Lisbon: 22 °C and trams."], t=T0 + 14)),
        "u3": chatgpt_node(
            "u3",
            "a2b",
            ["a3"],
            m(
                "u3",
                "user",
                [
                    {
                        "content_type": "image_asset_pointer",
                        "asset_pointer": "file-service://file-abc",
                        "size_bytes": 1024,
                        "width": 10,
                        "height": 10,
                    },
                    "What is this tram?",
                ],
                t=T0 + 15,
                content_type="multimodal_text",
            ),
        ),
        "a3": chatgpt_node("a3", "u3", [], m("a3", "assistant", ["Tram 28."], t=None)),
    }
    return {
        "title": "May trip",
        "create_time": T0,
        "update_time": T0 + 20,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": "a3",
        "plugin_ids": None,
        "conversation_id": conversation_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": conversation_id,
    }


def chatgpt_linear(conversation_id: str, *, turns: int = 2, title: str | None = "Chat", t: float = T0) -> dict:
    """A plain chat of `turns` question-answer pairs, the shape most conversations have."""
    mapping = {"root": chatgpt_node("root", None, ["m0"] if turns else [])}
    parent = "root"
    for n in range(turns * 2):
        node_id = f"m{n}"
        role = "user" if n % 2 == 0 else "assistant"
        mapping[parent]["children"] = [node_id]
        mapping[node_id] = chatgpt_node(
            node_id, parent, [], chatgpt_message(node_id, role, [f"{role} says {n} in {conversation_id}"], t=t + n)
        )
        parent = node_id
    return {
        "title": title,
        "create_time": t,
        "update_time": t + turns * 2,
        "mapping": mapping,
        "current_node": parent,
        "conversation_id": conversation_id,
        "id": conversation_id,
    }


def chatgpt_empty(conversation_id="conv-empty") -> dict:
    return {
        "title": "New chat",
        "create_time": T0,
        "update_time": T0,
        "mapping": {"root": chatgpt_node("root", None, [])},
        "current_node": "root",
        "conversation_id": conversation_id,
        "id": conversation_id,
    }


def chatgpt_zip(conversations: list[dict], *, files: int = 3) -> bytes:
    """The export zip as ChatGPT writes it now: conversations split over conversations-NNN.json,
    beside chat.html, user.json and the rest."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("chat.html", "<html><body>...</body></html>")
        archive.writestr("user.json", json.dumps({"id": "user-1", "email": "me@example.com"}))
        archive.writestr("message_feedback.json", "[]")
        size = -(-len(conversations) // files)
        for n in range(files):
            chunk = conversations[n * size : (n + 1) * size]
            archive.writestr(f"conversations-{n:03d}.json", json.dumps(chunk))
        archive.writestr("file-abc.png", b"\x89PNG...")
    return out.getvalue()


def claude_linear(conversation_id="claude-1") -> dict:
    """Claude's export: chat_messages in order, sender human/assistant, content parts (text,
    thinking, tool use), attachments with their extracted text."""
    return {
        "uuid": conversation_id,
        "name": "Sourdough",
        "summary": "",
        "created_at": "2024-03-01T10:00:00.000000Z",
        "updated_at": "2024-03-01T10:05:00.000000Z",
        "account": {"uuid": "acct-1"},
        "chat_messages": [
            {
                "uuid": "c1",
                "text": "How long should dough proof?",
                "content": [{"type": "text", "text": "How long should dough proof?"}],
                "sender": "human",
                "created_at": "2024-03-01T10:00:00.000000Z",
                "updated_at": "2024-03-01T10:00:00.000000Z",
                "attachments": [
                    {"file_name": "recipe.txt", "file_size": 120, "file_type": "text/plain", "extracted_content": "..."}
                ],
                "files": [],
            },
            {
                "uuid": "c2",
                "text": "Overnight in the fridge.",
                "content": [
                    {"type": "thinking", "thinking": "Cold proof..."},
                    {"type": "text", "text": "Overnight in the fridge."},
                ],
                "sender": "assistant",
                "created_at": "2024-03-01T10:00:05.000000Z",
                "updated_at": "2024-03-01T10:00:05.000000Z",
                "attachments": [],
                "files": [],
            },
            {
                "uuid": "c3",
                "text": "",
                "content": [{"type": "text", "text": ""}],
                "sender": "human",
                "created_at": "2024-03-01T10:01:00.000000Z",
                "attachments": None,
                "files": [{"file_name": "crumb.jpg"}],
            },
            {
                "uuid": "c4",
                "text": "A good open crumb.",
                "content": None,
                "sender": "assistant",
                "created_at": None,
            },
        ],
    }


def claude_tree(conversation_id="claude-2") -> dict:
    """A newer Claude export: messages name their parent, the conversation its current leaf."""
    root = "00000000-0000-4000-8000-000000000000"
    message = {
        "uuid": None,
        "content": None,
        "sender": None,
        "created_at": None,
        "parent_message_uuid": None,
        "attachments": [],
        "files": [],
    }
    return {
        "uuid": conversation_id,
        "name": "",
        "created_at": "2024-04-01T09:00:00Z",
        "updated_at": "2024-04-01T09:10:00Z",
        "current_leaf_message_uuid": "r2",
        "chat_messages": [
            {
                **message,
                "uuid": "q",
                "text": "Name a colour",
                "sender": "human",
                "parent_message_uuid": root,
                "created_at": "2024-04-01T09:00:00Z",
            },
            {
                **message,
                "uuid": "r1",
                "text": "Red",
                "sender": "assistant",
                "parent_message_uuid": "q",
                "created_at": "2024-04-01T09:00:01Z",
            },
            {
                **message,
                "uuid": "r2",
                "text": "Blue",
                "sender": "assistant",
                "parent_message_uuid": "q",
                "created_at": "2024-04-01T09:05:00Z",
            },
        ],
    }


def claude_zip(conversations: list[dict]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("users.json", json.dumps([{"uuid": "acct-1", "full_name": "Me"}]))
        archive.writestr("projects.json", "[]")
        archive.writestr("conversations.json", json.dumps(conversations))
    return out.getvalue()


def openwebui_chat(chat_id="owui-1") -> dict:
    """Open WebUI's chat export: the tree in chat.history (messages by id, parentId and childrenIds,
    currentId the head) beside the active branch as a flat list; times in Unix seconds."""
    messages = {
        "q": {
            "id": "q",
            "parentId": None,
            "childrenIds": ["a1", "a2"],
            "role": "user",
            "content": "Pick a number",
            "timestamp": 1_710_000_000,
            "models": ["llama3"],
        },
        "a1": {
            "id": "a1",
            "parentId": "q",
            "childrenIds": [],
            "role": "assistant",
            "content": "7",
            "model": "llama3",
            "timestamp": 1_710_000_001,
            "done": True,
        },
        "a2": {
            "id": "a2",
            "parentId": "q",
            "childrenIds": ["q2"],
            "role": "assistant",
            "content": "42",
            "model": "llama3",
            "timestamp": 1_710_000_100,
            "done": True,
        },
        "q2": {
            "id": "q2",
            "parentId": "a2",
            "childrenIds": [],
            "role": "user",
            "content": "",
            "files": [{"type": "image", "name": "chart.png", "url": "data:..."}],
            "timestamp": 1_710_000_200,
        },
    }
    return {
        "id": chat_id,
        "user_id": "u-1",
        "title": "Numbers",
        "chat": {
            "id": "",
            "title": "Numbers",
            "models": ["llama3"],
            "params": {},
            "history": {"messages": messages, "currentId": "q2"},
            "messages": [messages["q"], messages["a2"], messages["q2"]],
            "tags": [],
            "timestamp": 1_710_000_000_000,
        },
        "updated_at": 1_710_000_200,
        "created_at": 1_710_000_000,
        "share_id": None,
        "archived": False,
        "pinned": None,
        "meta": {},
        "folder_id": None,
    }


def librechat_tree(conversation_id="lc-1") -> dict:
    """LibreChat's conversation export with branches, nested (messagesTree, recursive)."""
    root = "00000000-0000-0000-0000-000000000000"
    return {
        "conversationId": conversation_id,
        "endpoint": "openAI",
        "title": "Haiku",
        "exportAt": "10:00:00 GMT+0000",
        "branches": True,
        "recursive": True,
        "messagesTree": [
            {
                "messageId": "h1",
                "parentMessageId": root,
                "conversationId": conversation_id,
                "sender": "User",
                "text": "Write a haiku",
                "isCreatedByUser": True,
                "createdAt": "2024-05-01T08:00:00.000Z",
                "children": [
                    {
                        "messageId": "h2",
                        "parentMessageId": "h1",
                        "sender": "GPT-4",
                        "text": "",
                        "content": [
                            {"type": "think", "think": "Five, seven, five"},
                            {"type": "text", "text": "Old pond / a frog jumps / splash"},
                        ],
                        "isCreatedByUser": False,
                        "model": "gpt-4",
                        "createdAt": "2024-05-01T08:00:02.000Z",
                        "children": [],
                    },
                    {
                        "messageId": "h3",
                        "parentMessageId": "h1",
                        "sender": "GPT-4",
                        "text": "Autumn moon / ...",
                        "isCreatedByUser": False,
                        "createdAt": "2024-05-01T08:01:00.000Z",
                        "children": [],
                    },
                ],
            }
        ],
    }


def librechat_flat(conversation_id="lc-2") -> dict:
    """LibreChat's non-recursive export: the messages as a list, each naming its parent."""
    root = "00000000-0000-0000-0000-000000000000"
    return {
        "conversationId": conversation_id,
        "endpoint": "anthropic",
        "title": "Flat",
        "branches": False,
        "recursive": False,
        "messages": [
            {
                "messageId": "f1",
                "parentMessageId": root,
                "text": "Hi",
                "isCreatedByUser": True,
                "sender": "User",
                "createdAt": "2024-05-02T08:00:00.000Z",
            },
            {
                "messageId": "f2",
                "parentMessageId": "f1",
                "text": "Hello!",
                "isCreatedByUser": False,
                "sender": "Claude",
                "createdAt": "2024-05-02T08:00:01.000Z",
                "content": [{"type": "text", "text": {"value": "Hello!"}}],
            },
        ],
    }


def as_json(value) -> bytes:
    return json.dumps(value).encode()

"""The chat socket's frames, checked whole before any work (docs/websocket.md).

`frame_check` turns a decoded JSON value into a Frame with every field normalized, or raises
FrameRefused with the error code the socket answers and a message. Every string a frame carries
is checked to be storable (no NUL, no unpaired surrogate) and bounded, and every seq to lie within
64 bits, so a frame that passes cannot fail later on an encoding or an overflow.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from conversation import inputs

# Where the socket is mounted (routing.py), and what the chat page connects to.
SOCKET_PATH = "ws/chat/"
TYPES = ("open", "send", "edit", "regenerate", "switch", "stop")
# Which fields each type reads: the rest of a frame is ignored, as before.
_FIELDS = {
    "open": {"session_id"},
    "send": {"session_id", "client_id", "text", "persona"},
    "edit": {"session_id", "client_id", "text", "seq"},
    "regenerate": {"session_id", "client_id", "seq"},
    "switch": {"session_id", "seq"},
    "stop": {"session_id"},
}
_REQUIRED = {
    "open": {"session_id"},
    "send": {"text"},
    "edit": {"text", "seq"},
    "regenerate": {"seq"},
    "switch": {"seq"},
}
# Longer than any type, so that an unknown one is echoed back short.
_TYPE_ECHO_CHARS = 40


class FrameRefused(Exception):
    def __init__(self, code: str, message: str, *, ref: str | None = None, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.ref, self.client_id = code, message, ref, client_id


@dataclass(frozen=True)
class Frame:
    type: str
    session_id: uuid.UUID | None = None
    client_id: str | None = None  # as the client sent it; None when it sent none
    text: str | None = None
    persona: str | None = None
    seq: int | None = None


def frame_check(content: Any) -> Frame:
    """The frame `content` (a decoded JSON value) asks for, every field normalized; FrameRefused
    (bad_message, unknown_type, invalid, not_found) otherwise."""
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise FrameRefused("bad_message", 'Send a JSON object with a "type".')
    kind = content["type"]
    if kind not in TYPES:
        shown = kind[:_TYPE_ECHO_CHARS].encode("utf-8", "backslashreplace").decode()
        raise FrameRefused("unknown_type", f"Unknown message type {shown!r}: use {', '.join(TYPES[:-1])} or stop.")
    fields = _FIELDS[kind]
    raw_client_id = content.get("client_id") if "client_id" in fields else None
    echo = client_id_echo(content) if "client_id" in fields else None
    try:
        client_id = inputs.check_client_id(raw_client_id) if "client_id" in fields else None
        values = {
            "text": inputs.check_text(content.get("text")) if "text" in fields else None,
            "persona": inputs.check_slug(content.get("persona"), field_name="persona") if "persona" in fields else None,
            "seq": inputs.check_seq(content.get("seq")) if "seq" in fields else None,
        }
        for name in _REQUIRED.get(kind, set()) - {"session_id"}:
            if values[name] is None:
                raise ValidationError({name: f"{name} is required."})
    except ValidationError as exc:
        raise FrameRefused("invalid", " ".join(exc.messages), ref=kind, client_id=echo) from None
    session_id = content.get("session_id")
    if session_id is None or session_id == "":
        if "session_id" in _REQUIRED.get(kind, set()):
            raise FrameRefused("not_found", "No such session.", ref=kind, client_id=echo)
        session_id = None
    else:
        session_id = _session_id(session_id, ref=kind, client_id=echo)
    return Frame(type=kind, session_id=session_id, client_id=client_id, **values)


def _session_id(value: Any, *, ref: str, client_id: str | None) -> uuid.UUID:
    """A session id; a malformed one is not found, as on every door."""
    try:
        if isinstance(value, str) and len(value) <= 64:
            return uuid.UUID(value)
    except ValueError:
        pass
    raise FrameRefused("not_found", "No such session.", ref=ref, client_id=client_id)


def client_id_echo(content: Any) -> str | None:
    """The client_id an error about the frame `content` names: only one that could be stored, so
    that a client matches it to what it sent."""
    client_id = content.get("client_id") if isinstance(content, dict) else None
    if isinstance(client_id, str) and len(client_id) <= settings.MAX_CLIENT_ID_CHARS and _storable(client_id):
        return client_id
    return None


def _storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text

"""Normalizing and bounding what callers send, before any write.

Every check raises one django ValidationError keyed by the field, naming the limit, so that a
service can refuse a whole batch before it writes a row of it.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversation.models import Role

# The seeds' spellings: the voice agent says "agent", the LangChain bot "Human"/"AI".
ROLE_ALIASES = {
    "user": Role.USER,
    "human": Role.USER,
    "assistant": Role.ASSISTANT,
    "agent": Role.ASSISTANT,
    "ai": Role.ASSISTANT,
    "bot": Role.ASSISTANT,
    "system": Role.SYSTEM,
}

# A client clock outside this range is not believed: the utterance is stamped with the server's now.
EARLIEST_SANE_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_SANE_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class UtteranceIn:
    """One utterance as a caller sends it; `timestamp` is epoch milliseconds, ISO 8601 or a datetime."""

    role: str
    text: str
    is_final: bool = True
    client_id: str | None = None
    timestamp: Any = None
    metadata: dict = field(default_factory=dict)


def normalize_role(value: Any, *, field_name: str = "role") -> str:
    role = ROLE_ALIASES.get(str(value).strip().lower()) if isinstance(value, str) else None
    if role is None:
        raise ValidationError({field_name: f"Unknown role {value!r}: use user, assistant or system."})
    return role.value


def normalize_timestamp(value: Any, *, now: datetime | None = None) -> datetime:
    """Epoch milliseconds or ISO 8601; missing, unparseable or absurd values become now."""
    now = now or timezone.now()
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, bool):
        moment = None
    elif isinstance(value, int | float):
        try:
            moment = datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            moment = None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").isdigit():
            return normalize_timestamp(int(text), now=now)
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
    if moment is None:
        return now
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    if moment < EARLIEST_SANE_TIMESTAMP or moment > now + LATEST_SANE_SKEW:
        return now
    return moment


def _check_storable(text: str, *, field_name: str, what: str) -> None:
    """PostgreSQL stores neither NUL characters nor unpaired surrogates (JSON can carry "\\ud800")."""
    if "\x00" in text:
        raise ValidationError({field_name: f"{what} must not contain NUL characters."})
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        raise ValidationError({field_name: f"{what} must not contain unpaired surrogates."}) from exc


def _check_json_value(value: Any, *, field_name: str, what: str) -> None:
    """What a JSON value must be to be stored and sent on: no NUL characters in strings or keys,
    integers within 64 bits (the live events' encoding stops there), at most MAX_METADATA_DEPTH
    levels deep. Walked without recursion, so that no input is deep enough to break the check."""
    limit = settings.MAX_METADATA_DEPTH
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ValidationError({field_name: f"{what} is nested more than {limit} levels deep."})
            if isinstance(item, dict):
                for key in item:
                    if "\x00" in key:
                        raise ValidationError({field_name: f"{what} must not contain NUL characters."})
                children = item.values()
            else:
                children = item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ValidationError({field_name: f"{what} must not contain NUL characters."})
        elif isinstance(item, int) and not isinstance(item, bool) and not -(2**63) <= item < 2**63:
            raise ValidationError({field_name: f"{what} holds an integer beyond 64 bits: send it as a string."})


def check_text(text: Any, *, field_name: str = "text") -> str:
    if not isinstance(text, str):
        raise ValidationError({field_name: "Text must be a string."})
    _check_storable(text, field_name=field_name, what="Text")
    if len(text) > settings.MAX_UTTERANCE_CHARS:
        raise ValidationError(
            {field_name: f"Text is {len(text)} characters; the limit is {settings.MAX_UTTERANCE_CHARS}."}
        )
    if not text.strip():
        raise ValidationError({field_name: "Text must not be empty."})
    return text


def check_metadata(metadata: Any, *, field_name: str = "metadata") -> dict:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({field_name: "Metadata must be a JSON object."})
    _check_json_value(metadata, field_name=field_name, what="Metadata")
    try:
        size = len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    except UnicodeEncodeError as exc:
        raise ValidationError({field_name: "Metadata must not contain unpaired surrogates."}) from exc
    except (TypeError, ValueError) as exc:
        raise ValidationError({field_name: "Metadata must be JSON-serializable (no NaN or Infinity)."}) from exc
    if size > settings.MAX_METADATA_BYTES:
        raise ValidationError({field_name: f"Metadata is {size} bytes; the limit is {settings.MAX_METADATA_BYTES}."})
    return metadata


def check_title(title: Any, *, field_name: str = "title") -> str:
    if not isinstance(title, str):
        raise ValidationError({field_name: "Title must be a string."})
    _check_storable(title, field_name=field_name, what="Title")
    title = " ".join(title.split())
    if len(title) > settings.MAX_TITLE_CHARS:
        raise ValidationError(
            {field_name: f"Title is {len(title)} characters; the limit is {settings.MAX_TITLE_CHARS}."}
        )
    return title


def check_client_id(client_id: Any, *, field_name: str = "client_id") -> str | None:
    if client_id is None or client_id == "":
        return None
    if not isinstance(client_id, str):
        raise ValidationError({field_name: "client_id must be a string."})
    if len(client_id) > settings.MAX_CLIENT_ID_CHARS:
        raise ValidationError(
            {field_name: f"client_id is {len(client_id)} characters; the limit is {settings.MAX_CLIENT_ID_CHARS}."}
        )
    _check_storable(client_id, field_name=field_name, what="client_id")
    return client_id


# seq, before and after are bigint columns: past this, PostgreSQL refuses the query and SQLite
# raises OverflowError while binding it.
MAX_SEQ = 2**63 - 1


def check_seq(value: Any, *, field_name: str = "seq") -> int | None:
    """A seq as callers name one (a JSON integer, or digits in a query string), 0 to MAX_SEQ; None
    for none. Floats, booleans and anything else are refused: 1.5 names no message."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,40}", text):
            raise ValidationError({field_name: f"{field_name} must be a whole number."})
        value = int(text)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field_name: f"{field_name} must be a whole number."})
    if value < 0:
        raise ValidationError({field_name: f"{field_name} must not be negative."})
    if value > MAX_SEQ:
        raise ValidationError({field_name: f"{field_name} must be at most {MAX_SEQ}."})
    return value


def check_slug(value: Any, *, field_name: str, max_length: int = 50) -> str | None:
    """A slug as a caller names one (a persona): None for none, else a short storable string."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError({field_name: f"{field_name} must be a string (a slug)."})
    _check_storable(value, field_name=field_name, what=field_name)
    if len(value) > max_length:
        raise ValidationError({field_name: f"{field_name} is {len(value)} characters; the limit is {max_length}."})
    return value


def check_batch_size(count: int, *, field_name: str = "messages") -> None:
    if count > settings.MAX_BATCH_UTTERANCES:
        raise ValidationError(
            {field_name: f"{count} utterances in one call; the limit is {settings.MAX_BATCH_UTTERANCES}."}
        )
    if count == 0:
        raise ValidationError({field_name: "At least one utterance is required."})


def auto_title(text: str) -> str:
    """The first user message, on one line, cut at a word boundary to AUTO_TITLE_CHARS."""
    limit = settings.AUTO_TITLE_CHARS
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut and line[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


# What continues the character before it: a mark of any script (Unicode categories Mn, Mc, Me:
# accents, Devanagari vowel signs, Arabic and Hebrew points), joiners, emoji modifiers and tags,
# and a Hangul syllable's vowel and final jamo. A cut before one would leave half a letter or emoji.
_CONTINUING = re.compile("[\u200c\u200d\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f\u1160-\u11ff\ud7b0-\ud7ff]")


def _continues(character: str) -> bool:
    return unicodedata.category(character) in ("Mn", "Mc", "Me") or bool(_CONTINUING.match(character))


_REGIONAL_INDICATOR = re.compile("[\U0001f1e6-\U0001f1ff]")


def text_cut(text: str, length: int) -> str:
    """`text` cut to at most `length` characters, never inside an accented letter, an emoji sequence
    or a flag (its two regional indicators)."""
    cut = max(length, 0)
    if cut >= len(text):
        return text
    while cut > 0 and (_continues(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    indicators_before = 0  # flags are pairs: an odd run before the cut ends in half a flag
    while indicators_before < cut and _REGIONAL_INDICATOR.match(text[cut - 1 - indicators_before]):
        indicators_before += 1
    if indicators_before % 2:
        cut -= 1
    return text[:cut].rstrip()


def preview_text(text: str) -> str:
    """A session's preview of its first user message: on one line, cut to SESSION_PREVIEW_CHARS with
    "…" (never inside an accented letter, an emoji or a flag). Never empty for a message that is
    not blank (a cut that would leave nothing keeps the plain characters)."""
    limit = settings.SESSION_PREVIEW_CHARS
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return (text_cut(line, limit - 1) or line[: limit - 1]) + "…"


def check_limit(limit: Any, *, default: int = 50) -> int:
    if limit is None or limit == "":
        return default
    try:
        value = int(limit)
    except (TypeError, ValueError):
        raise ValidationError({"limit": "limit must be a whole number."}) from None
    if not 1 <= value <= settings.MAX_PAGE_SIZE:
        raise ValidationError({"limit": f"limit must be between 1 and {settings.MAX_PAGE_SIZE}."})
    return value

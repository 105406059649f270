"""What a search finds: a session hit (the sidebar's search), a message hit (GET /api/search/), the
marks of highlighted words, and the message search's opaque cursor."""

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from conversation.models import Session

# Private-use code points mark the matches inside ts_headline's and FTS5 snippet()'s output; nobody types them.
START, STOP = "\ue000", "\ue001"


def marked_html(snippet: str, highlights: list[tuple[int, int]]) -> SafeString:
    parts, position = [], 0
    for start, end in highlights:
        parts += [escape(snippet[position:start]), "<mark>", escape(snippet[start:end]), "</mark>"]
        position = end
    parts.append(escape(snippet[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


@dataclass(frozen=True)
class SearchHit:
    session: Session
    rank: float
    seq: int | None  # the matching message, None when only the title matched
    snippet: str  # plain text
    highlights: list[tuple[int, int]]  # [start, end) offsets of the matched words in `snippet`

    @property
    def snippet_html(self) -> SafeString:
        return marked_html(self.snippet, self.highlights)


@dataclass(frozen=True)
class MessageHit:
    session: Session
    seq: int
    role: str
    created_at: datetime
    rank: float
    active_branch: bool  # on the session's active branch (its path from the head to the root)
    snippet: str
    highlights: list[tuple[int, int]]

    @property
    def snippet_html(self) -> SafeString:
        return marked_html(self.snippet, self.highlights)


@dataclass(frozen=True)
class MessageHitPage:
    hits: list[MessageHit]
    next_cursor: str | None  # None: the last page (or a partial answer)
    partial: bool = False  # cut short by SEARCH_TIMEOUT_MS: the newest matches, not ranked
    message: str = ""


class SearchTooBroad(Exception):
    """The search did not finish within SEARCH_TIMEOUT_MS: it matches too much to rank in time."""

    message = "Too many chats match these words to rank them in time: add a word or two to narrow the search."


def unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    plain, highlights, start = [], [], None
    length = 0
    for char in marked:
        if char == START:
            start = length
        elif char == STOP and start is not None:
            highlights.append((start, length))
            start = None
        else:
            plain.append(char)
            length += 1
    return "".join(plain), highlights


INVALID_CURSOR = "Invalid cursor: use the next link as given."


def encode_cursor(*, rank: float, created_at: datetime, utterance_id: int) -> str:
    """The position after a hit: (rank, time, id), the order's keys, as an opaque token."""
    raw = json.dumps([rank, created_at.isoformat(), utterance_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, datetime, int]:
    """The position encode_cursor wrote; ValidationError for anything else, and for values no
    database takes (a forged id past 64 bits, a rank past a float, a time that overflows UTC)."""
    try:
        rank, created_at, utterance_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(rank, bool) or not isinstance(rank, float | int) or isinstance(utterance_id, bool):
            raise ValueError
        if not isinstance(utterance_id, int) or not -(2**63) <= utterance_id < 2**63:
            raise ValueError
        rank, moment = float(rank), datetime.fromisoformat(created_at)
        if not math.isfinite(rank) or moment.tzinfo is None:
            raise ValueError
        moment.astimezone(UTC)  # OverflowError at the calendar's ends
        return rank, moment, utterance_id
    except (ValueError, TypeError, OverflowError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError({"cursor": INVALID_CURSOR}) from None

"""The JSON shapes of conversation objects, each built here and nowhere else.

The API's serializers, the live events (conversation/events.py), the socket and the exports all
show a session, a persona, an utterance or a search hit through these functions, so the same object
reads the same key by key on every door (tests/conversation/test_shapes.py holds them to it). Times
are written one way, the API's (chatproject.timestamps.iso_datetime).

Callers that write many objects pass the time zone they read once (`zone`); by default the current one.
"""

from collections.abc import Mapping
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from chatproject.timestamps import iso_datetime
from conversation.models import ContextSummary, Folder, Persona, Session, Tag, Utterance
from conversation.prompt import Prompt
from conversation.search import MessageHit, SearchHit

if TYPE_CHECKING:  # the usage package reads through the domain, above this module
    from conversation.usage.selectors import UsageSeries, UserStats


def persona(persona: Persona) -> dict:
    return {"slug": persona.slug, "name": persona.name}


def session(session: Session, *, zone: tzinfo | None = None, with_persona: bool = True) -> dict:
    """A session as every endpoint answers it. `with_persona=False` leaves out its persona, for the
    events of writes that do not load it (an append's session.activity would pay a query for it)."""
    return _session(_Fields(session), persona=persona(session.persona) if with_persona else None, zone=zone)


def session_of_row(row: Mapping[str, Any], *, zone: tzinfo | None = None) -> dict:
    """The same, from a row of sessions.lists.session_list_for_user (its persona as persona_slug, persona_name)."""
    return _session(row, persona={"slug": row["persona_slug"], "name": row["persona_name"]}, zone=zone)


class _Fields:
    """A model instance's fields by name (a deferred one is loaded, as by attribute)."""

    __slots__ = ("instance",)

    def __init__(self, instance) -> None:
        self.instance = instance

    def __getitem__(self, name: str) -> Any:
        return getattr(self.instance, name)


def _session(fields: Mapping[str, Any] | _Fields, *, persona: dict | None, zone: tzinfo | None) -> dict:
    """From the session's field values by name: a list's row (read as it is: lists format up to
    200 of them per request), or a model instance's through _Fields."""
    shape = {
        "id": str(fields["id"]),
        "title": fields["title"],
        "title_source": fields["title_source"],
        "preview": fields["preview"],
        "persona": persona,
        "created_at": iso_datetime(fields["created_at"], zone),
        "last_activity_at": iso_datetime(fields["last_activity_at"], zone),
        "ended_at": iso_datetime(fields["ended_at"], zone),
        "message_count": fields["message_count"],
        "head_seq": fields["head_seq"],
        "pinned_at": iso_datetime(fields["pinned_at"], zone),
        "archived_at": iso_datetime(fields["archived_at"], zone),
        "deleted_at": iso_datetime(fields["deleted_at"], zone),
        "folder": str(fields["folder_id"]) if fields["folder_id"] else None,
        "tags": fields["tag_names"],
    }
    if persona is None:
        del shape["persona"]
    return shape


def session_detail(detail: Session, *, zone: tzinfo | None = None) -> dict:
    """A session with its metadata, counts per role and last seq (the detail endpoint's answer)."""
    return {
        **session(detail, zone=zone),
        "metadata": detail.metadata,
        "counts": {
            "user": detail.user_message_count,
            "assistant": detail.assistant_message_count,
            "system": detail.system_message_count,
        },
        "last_seq": detail.last_seq,
    }


def search_hit(hit: SearchHit, *, zone: tzinfo | None = None) -> dict:
    """A session that a search found, with where and how well it matched."""
    return {
        **session(hit.session, zone=zone),
        "rank": hit.rank,
        "match_seq": hit.seq,
        "snippet": hit.snippet,
        "highlights": [list(pair) for pair in hit.highlights],
    }


def utterance(utterance: Utterance, *, zone: tzinfo | None = None, siblings: dict | None = None) -> dict:
    """An utterance; `siblings` (history.siblings.siblings_entry: its place among its parent's children)
    where the caller knows it, as the history pages do."""
    shape = {"seq": utterance.seq, "parent_seq": utterance.parent_seq}
    if siblings is not None:
        shape["siblings"] = siblings
    shape |= {
        "role": utterance.role,
        "text": utterance.text,
        "is_final": utterance.is_final,
        "client_id": utterance.client_id,
        "created_at": iso_datetime(utterance.created_at, zone),
        "metadata": utterance.metadata,
    }
    return shape


def message_hit(hit: MessageHit, *, zone: tzinfo | None = None) -> dict:
    """A message that a search found (GET /api/search/): where it is, how well and where it matched,
    whether it lies on its session's active branch, and the page that opens at it."""
    chat = hit.session
    return {
        "session": {
            "id": str(chat.pk),
            "title": chat.title,
            "folder": str(chat.folder_id) if chat.folder_id else None,
            "tags": chat.tag_names,
        },
        "seq": hit.seq,
        "role": hit.role,
        "created_at": iso_datetime(hit.created_at, zone),
        "rank": hit.rank,
        "active_branch": hit.active_branch,
        "snippet": hit.snippet,
        "highlights": [list(pair) for pair in hit.highlights],
        "url": f"/c/{chat.pk}/?at={hit.seq}",
    }


# --- folders ---
def folder(folder: Folder, *, zone: tzinfo | None = None) -> dict:
    """A folder as every door shows it; its persona by slug (loaded with it: select_related)."""
    return {
        "id": str(folder.pk),
        "parent": str(folder.parent_id) if folder.parent_id else None,
        "name": folder.name,
        "depth": folder.depth,
        "persona": folder.persona.slug if folder.persona_id else None,
        "instructions": folder.instructions,
        "created_at": iso_datetime(folder.created_at, zone),
    }


def tag(tag: Tag) -> dict:
    """One of a user's tags (docs/tags.md)."""
    return {"id": str(tag.pk), "name": tag.name}


# --- context (docs/context.md) ---
def context_summary(summary: ContextSummary, *, zone: tzinfo | None = None) -> dict:
    """A branch's summary of the chat up to its point ("Earlier in this chat")."""
    return {
        "seq": summary.seq,
        "text": summary.text,
        "tokens": summary.tokens,
        "messages": summary.messages,
        "made_by": summary.made_by,
        "created_at": iso_datetime(summary.created_at, zone),
        "edited_at": iso_datetime(summary.edited_at, zone),
    }


def context(prompt: Prompt, *, cached: bool, zone: tzinfo | None = None) -> dict:
    """What the model sees of a chat: the summary, the window's messages in the prompt, their tokens."""
    return {
        "summary": context_summary(prompt.summary, zone=zone) if prompt.summary is not None else None,
        "messages": [
            {"role": m["role"], "text": m["text"], "seq": m["seq"], "tokens": m["tokens"]} for m in prompt.included
        ],
        "size": len(prompt.included),
        "first_seq": prompt.first_seq,
        "cached": cached,
        # Each part as the model should count it, like the whole (our count times the correction).
        "tokens": {
            "prompt": prompt.tokens,
            "system": round(prompt.system_tokens * prompt.correction),
            "summary": round(prompt.summary_tokens * prompt.correction),
            "messages": round(prompt.messages_tokens * prompt.correction),
            "budget": prompt.budget,
            "context_max": prompt.context_max_tokens,
            "exact": prompt.exact,
        },
        "cut": prompt.cut,
    }


# --- usage ---


def token_usage(series: "UsageSeries") -> dict:
    """A user's tokens a day (conversation/usage/selectors.py): the days oldest first, and their totals."""
    return {
        "days": [
            {
                "day": day.day.isoformat(),
                "prompt_tokens": day.prompt_tokens,
                "completion_tokens": day.completion_tokens,
                "calls": day.calls,
                "estimated_calls": day.estimated_calls,
            }
            for day in series.days
        ],
        "total_prompt_tokens": series.total_prompt_tokens,
        "total_completion_tokens": series.total_completion_tokens,
    }


def stats(stats: "UserStats") -> dict:
    """A user's totals as `GET /api/stats/` answers them: sessions, messages by role, tokens a day."""
    sessions = stats.sessions
    return {
        "sessions": sessions.sessions,
        "today": sessions.today,
        "this_week": sessions.this_week,
        "messages": sessions.messages,
        "messages_by_role": dict(sessions.messages_by_role),
        "tokens": token_usage(stats.tokens),
    }

"""Export a session as JSON or Markdown, streamed page by page so memory does not grow with it.

The body is an async iterator: under Daphne (ASGI) Django would buffer a sync iterator whole.
"""

import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from conversation import selectors
from conversation.api.serializers import SessionOutputSerializer
from conversation.models import Session, Utterance

EXPORT_PAGE_SIZE = 500
ROLE_HEADINGS = {"user": "You", "assistant": "Assistant", "system": "System"}


def export_filename(*, session: Session, export_format: str) -> str:
    slug = slugify(session.title)[:50] or "chat"
    day = timezone.localtime(session.created_at).date().isoformat()
    return f"{slug}-{day}-{str(session.pk)[:8]}.{'md' if export_format == 'markdown' else 'json'}"


def export_stream(*, session: Session, export_format: str) -> StreamingHttpResponse:
    if export_format == "markdown":
        return StreamingHttpResponse(_markdown(session), content_type="text/markdown; charset=utf-8")
    return StreamingHttpResponse(_json(session), content_type="application/json")


async def _pages(session: Session) -> AsyncIterator[list[Utterance]]:
    after = 0
    while True:
        rows = await sync_to_async(selectors.utterances_after)(
            session_id=session.pk, after=after, limit=EXPORT_PAGE_SIZE
        )
        if rows:
            yield rows
        if len(rows) < EXPORT_PAGE_SIZE:
            return
        after = rows[-1].seq


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


async def _json(session: Session) -> AsyncIterator[str]:
    # The session as every endpoint answers it, with its metadata and the time of the export.
    header = {**SessionOutputSerializer(session).data, "metadata": session.metadata, "exported_at": timezone.now()}
    yield '{"session": ' + _dumps(header) + ', "messages": ['
    first = True
    async for rows in _pages(session):
        for row in rows:
            item = {
                "seq": row.seq,
                "role": row.role,
                "text": row.text,
                "created_at": row.created_at,
                "client_id": row.client_id,
                "metadata": row.metadata,
            }
            yield ("" if first else ", ") + _dumps(item)
            first = False
    yield "]}\n"


async def _markdown(session: Session) -> AsyncIterator[str]:
    created = timezone.localtime(session.created_at).strftime("%Y-%m-%d %H:%M")
    yield f"# {session.display_title}\n\n"
    yield f"_{session.persona.name} · started {created} · {session.message_count} messages_\n\n"
    async for rows in _pages(session):
        for row in rows:
            at = timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M")
            yield f"### {ROLE_HEADINGS.get(row.role, row.role)} · {at}\n\n{row.text}\n\n"

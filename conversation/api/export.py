"""Export a session as JSON or Markdown, streamed page by page so memory does not grow with it."""

import json
from collections.abc import AsyncIterator, Iterator

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


def export_stream(*, session: Session, export_format: str, asynchronous: bool) -> StreamingHttpResponse:
    """The export as a streamed response: an async iterator for an ASGI server (Daphne), a plain
    one for a WSGI server (gunicorn). Django gathers the whole body of an iterator of the other
    kind before it sends a byte."""
    if export_format == "markdown":
        chunks, content_type = _markdown(session), "text/markdown; charset=utf-8"
    else:
        chunks, content_type = _json(session), "application/json"
    return StreamingHttpResponse(_async_chunks(chunks) if asynchronous else chunks, content_type=content_type)


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    # One thread hop per chunk, and a chunk is a page of rows (a query and its text).
    while (chunk := await sync_to_async(next)(chunks, None)) is not None:
        yield chunk


def _pages(session: Session) -> Iterator[list[Utterance]]:
    after = 0
    while True:
        rows = selectors.utterances_after(session_id=session.pk, after=after, limit=EXPORT_PAGE_SIZE)
        if rows:
            yield rows
        if len(rows) < EXPORT_PAGE_SIZE:
            return
        after = rows[-1].seq


def _dumps(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _json(session: Session) -> Iterator[str]:
    # The session as every endpoint answers it, with its metadata and the time of the export.
    header = {**SessionOutputSerializer(session).data, "metadata": session.metadata, "exported_at": timezone.now()}
    yield '{"session": ' + _dumps(header) + ', "messages": ['
    separator = ""
    for rows in _pages(session):
        items = (
            _dumps(
                {
                    "seq": row.seq,
                    "role": row.role,
                    "text": row.text,
                    "created_at": row.created_at,
                    "client_id": row.client_id,
                    "metadata": row.metadata,
                }
            )
            for row in rows
        )
        yield separator + ", ".join(items)
        separator = ", "
    yield "]}\n"


def _markdown(session: Session) -> Iterator[str]:
    created = timezone.localtime(session.created_at).strftime("%Y-%m-%d %H:%M")
    yield f"# {session.display_title}\n\n"
    yield f"_{session.persona.name} · started {created} · {session.message_count} messages_\n\n"
    for rows in _pages(session):
        yield "".join(
            f"### {ROLE_HEADINGS.get(row.role, row.role)} · {timezone.localtime(row.created_at):%Y-%m-%d %H:%M}\n\n"
            f"{row.text}\n\n"
            for row in rows
        )

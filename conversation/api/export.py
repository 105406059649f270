"""Export a session as JSON or Markdown (conversation/exports.py), streamed as a download."""

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

from conversation.exports import session_chunks
from conversation.models import Session


def export_stream(
    *, session: Session, export_format: str, all_branches: bool, asynchronous: bool
) -> StreamingHttpResponse:
    """The export as a streamed response: an async iterator for an ASGI server (Daphne), a plain
    one for a WSGI server (gunicorn). Django gathers the whole body of an iterator of the other
    kind before it sends a byte."""
    chunks = session_chunks(session=session, export_format=export_format, all_branches=all_branches)
    content_type = "text/markdown; charset=utf-8" if export_format == "markdown" else "application/json"
    response = StreamingHttpResponse(_async_chunks(chunks) if asynchronous else chunks, content_type=content_type)
    response["Cache-Control"] = "no-store"  # private data: kept by no browser or proxy cache
    return response


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    # One thread hop per chunk, and a chunk is a page of rows (a query and its text).
    while (chunk := await sync_to_async(next)(chunks, None)) is not None:
        yield chunk

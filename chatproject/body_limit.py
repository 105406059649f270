"""The request body limit, enforced while the body arrives, under every server.

A body may be API_MAX_BODY_BYTES long, or IMPORT_MAX_BYTES (and the form around the file) for an
upload to /api/imports/. One over its limit is answered 413 with the API's JSON error body as soon
as it is known to be over: at once when Content-Length says so, else when the bytes received pass
the limit; the rest is not read into memory. Each server gets its own piece:

- Daphne (`make run`, and the socket tier of `make serve`) holds a whole body before it calls the
  application (Twisted spools it to a temporary file, then Daphne queues all of it in memory at
  once), so no ASGI middleware can refuse it in time: chatproject/daphne.py's request does, as the
  body arrives.
- Any other ASGI server: AsgiBodyLimit, around Django's ASGI application (chatproject/asgi.py).
- A WSGI server (gunicorn, behind nginx in `make serve`): WsgiBodyLimit (chatproject/wsgi.py).
  Django reads no body without a Content-Length, so a chunked one is spooled here, up to its limit
  (in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then on disk), and passed on with its length.
"""

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

IMPORTS_PATH = "/api/imports/"
# The multipart form around an imported file: its boundaries, part headers and the format field.
FORM_OVERHEAD_BYTES = 65536
READ_BLOCK_BYTES = 65536


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    detail: str

    def response_body(self) -> bytes:
        return json.dumps({"detail": self.detail}).encode()

    def response_headers(self) -> list[tuple[bytes, bytes]]:
        """Without Connection: close, which a WSGI application may not send (an ASGI one adds it)."""
        return [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(self.response_body())).encode())]


def body_limit_for(path: str) -> BodyLimit:
    if path == IMPORTS_PATH:
        return BodyLimit(
            settings.IMPORT_MAX_BYTES + FORM_OVERHEAD_BYTES,
            f"The file is over the limit of {settings.IMPORT_MAX_BYTES} bytes.",
        )
    return BodyLimit(
        settings.API_MAX_BODY_BYTES, f"The request body is over the limit of {settings.API_MAX_BODY_BYTES} bytes."
    )


def declared_length(value: bytes | str | None) -> int | None:
    """Content-Length as a number; None when absent or malformed (the server judges those)."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return int(text) if text.strip().isdigit() else None


class AsgiBodyLimit:
    """ASGI middleware: HTTP requests whose body passes its limit get the 413; the application
    hears a disconnect instead of the rest, and Django stops reading."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = declared_length(headers.get(b"content-length"))
        if declared is not None and declared > limit.max_bytes:
            return await self._refuse(send, limit)
        received = 0
        refused = False

        async def bounded_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, bounded_receive, send_unless_refused)

    @staticmethod
    async def _refuse(send, limit: BodyLimit) -> None:
        headers = [*limit.response_headers(), (b"Connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": limit.response_body()})


class WsgiBodyLimit:
    """WSGI middleware: the 413 for a declared length over the limit before anything is read, and
    a chunked body (no Content-Length) read here up to the limit and passed on with its length."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        limit = body_limit_for(environ.get("PATH_INFO", ""))
        declared = declared_length(environ.get("CONTENT_LENGTH") or None)
        if declared is not None and declared > limit.max_bytes:
            return self._refuse(start_response, limit)
        if declared is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # Handed on as the request's input: it lives as long as the request.
            spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
            stream = environ["wsgi.input"]
            while block := stream.read(READ_BLOCK_BYTES):
                if spooled.tell() + len(block) > limit.max_bytes:
                    spooled.close()
                    return self._refuse(start_response, limit)
                spooled.write(block)
            environ["CONTENT_LENGTH"] = str(spooled.tell())
            spooled.seek(0)
            environ["wsgi.input"] = spooled
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(start_response: Callable, limit: BodyLimit) -> list[bytes]:
        headers = [(name.decode(), value.decode()) for name, value in limit.response_headers()]
        start_response("413 Content Too Large", headers)
        return [limit.response_body()]

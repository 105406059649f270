"""Daphne with the project's limits: `python -m chatproject.daphne [Daphne's arguments]`.

Daphne refuses a WebSocket frame or message larger than WS_MAX_FRAME_BYTES while it arrives, and
closes that socket (1009), so no client makes the server hold a large frame whole. A handshake may
take WS_CONNECT_TIMEOUT_SECONDS before Daphne gives up on it.

An HTTP request body over its limit (chatproject/body_limit.py) is answered 413 while it arrives:
Daphne calls the application only once it holds the whole body, too late for any middleware.
"""

import io
import os
import sys
from urllib.parse import unquote

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from twisted.internet import reactor

from chatproject.body_limit import body_limit_for

# After a 413, what the client still sends is read and dropped for this long, so that a client that
# sends its whole body before it reads (most do) reads the answer rather than a reset connection.
LINGER_SECONDS = 5.0


class BoundedRequest(WebRequest):
    body_refused = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Twisted reads a whole POSTed form into memory to parse it for request.args, which Daphne
        # never reads (it passes the body on as it came): some ten times the body's size.
        self._parsePOSTFormSubmission = False

    def gotLength(self, length):
        """All headers are in: the limit for the path, and the declared length checked against it."""
        path = self.channel._path.split(b"?", 1)[0]  # the request line's target, held by the channel until then
        self.body_limit = body_limit_for(unquote(path.decode("ascii", "replace")))
        self.body_received = 0
        if length is not None and length > self.body_limit.max_bytes:
            self.refuse_body()
            length = 0  # a small in-memory content file, left empty
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_refused:
            return
        self.body_received += len(data)
        if self.body_received > self.body_limit.max_bytes:
            self.refuse_body()
            self.content.close()
            self.content = io.BytesIO()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.body_refused:
            self.channel.transport.loseConnection()
            return
        if not self.requestHeaders.hasHeader(b"Content-Length") and self.body_received:
            # A chunked body, now whole: Django reads a form's body by its Content-Length.
            self.requestHeaders.setRawHeaders(b"Content-Length", [str(self.body_received).encode()])
            self.requestHeaders.removeHeader(b"Transfer-Encoding")
        super().requestReceived(command, path, version)

    def refuse_body(self):
        self.body_refused = True
        self.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after the answer
        headers = [*self.body_limit.response_headers(), (b"Connection", b"close")]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        transport = self.channel.transport
        transport.write(b"HTTP/1.1 413 Content Too Large\r\n" + head + b"\r\n" + self.body_limit.response_body())
        reactor.callLater(LINGER_SECONDS, transport.loseConnection)


class BoundedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = BoundedRequest
        return protocol


class BoundedServer(Server):
    """Daphne's server with BoundedRequest: its run() builds the HTTP factory as HTTPFactory(self),
    and this swaps ours in as it is set."""

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory):
        self._http_factory = BoundedHTTPFactory(self) if type(factory) is HTTPFactory else factory


class BoundedCommandLineInterface(CommandLineInterface):
    server_class = BoundedServer


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    from django.conf import settings

    limit = str(settings.WS_MAX_FRAME_BYTES)
    connect_timeout = str(settings.WS_CONNECT_TIMEOUT_SECONDS)
    BoundedCommandLineInterface().run(
        [
            "--websocket-max-message-size",
            limit,
            "--websocket-max-frame-size",
            limit,
            "--websocket_connect_timeout",
            connect_timeout,
            *argv,
        ]
    )


if __name__ == "__main__":
    main(sys.argv[1:])

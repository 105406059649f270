"""A request body sent by hand over a socket, watching for the server's answer while it is sent:
what an HTTP client library cannot show (how much of the body had gone when the answer came)."""

import contextlib
import select
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # bytes of the body sent when the answer began to arrive (all of them: it came after)


def _frame(data: bytes, chunked: bool) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data


def post_body(
    url: str,
    path: str,
    *,
    size: int,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
    first_wait: float = 0.0,
    block: int = 65536,
    body: bytes | None = None,
) -> Answer:
    """POSTs `size` bytes (or `body`) with Content-Length, or chunked without it. `first_wait`: how
    long to wait for an answer before the first byte of the body (as a client that sent
    `Expect: 100-continue` does)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        size = len(body) if body is not None else size
        lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        if first_wait and select.select([sock], [], [], first_wait)[0]:
            return _read_answer(sock, sent=0)
        sock.setblocking(False)
        sent, pending, payload = 0, b"", b"x" * block
        deadline = time.monotonic() + 120
        while (sent < size or pending) and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                return _read_answer(sock, sent=sent)
            if writable:
                if not pending:
                    data = body[sent : sent + block] if body is not None else payload[: min(block, size - sent)]
                    sent += len(data)
                    pending = _frame(data, chunked)
                try:
                    pending = pending[sock.send(pending) :]
                except (BrokenPipeError, ConnectionResetError):
                    break
        if chunked:
            sock.setblocking(True)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"0\r\n\r\n")
        return _read_answer(sock, sent=sent)
    finally:
        sock.close()


def _read_answer(sock: socket.socket, *, sent: int) -> Answer:
    sock.setblocking(True)
    sock.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection without an answer: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(body) < length:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        body += chunk
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return Answer(status=int(status_line.split()[1]), headers=headers, body=body, sent=sent)


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, rest = data.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out

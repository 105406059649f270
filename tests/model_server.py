"""A real loopback HTTP server that speaks the OpenAI streaming protocol, for the tests.

Its behaviour is chosen by a directive in the last message of the prompt:
- (none): streams "Echo: <the message>" word by word, then usage, then [DONE]
- [slow]: the same with DELAY seconds between chunks
- [break]: two chunks, then the connection is dropped without [DONE]
- [badjson]: one good chunk, then a chunk that is not JSON
- [500]: HTTP 500 with an error body
- [error]: an error object inside the stream
- [nousage]: the usual stream without its usage chunk (a server that reports none)
A request whose system prompt asks for a chat's title (conversation/titles/maker.py) is answered
TITLE_ANSWER instead of the echo, or, with [title-blank] in its last message, an answer holding no
title. `on_request`, when set, is called with each request before it is answered.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY = 0.3
TITLE_ANSWER = '"Lisbon trip plans."'
TITLE_ASKED = "Give a short title for this chat"


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # a hundred replies may connect at once

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.on_request = None
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def sse_chunk(
    content: str | None = None, *, finish: str | None = None, usage: dict | None = None, model: str = "test"
) -> bytes:
    """One server-sent event of an OpenAI streamed completion (bench/fake_model.py sends them too)."""
    body: dict = {"id": f"chatcmpl-{model}", "object": "chat.completion.chunk", "model": model}
    body["choices"] = (
        [] if usage else [{"index": 0, "delta": {"content": content} if content else {}, "finish_reason": finish}]
    )
    if usage:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        request["_authorization"] = self.headers.get("Authorization")
        request["_path"] = self.path
        self.server.requests.append(request)
        if self.server.on_request is not None:
            self.server.on_request(request)
        last = request["messages"][-1]["content"]

        if "[500]" in last:
            body = b'{"error": {"message": "model overloaded"}}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        words = f"Echo: {last}".split(" ")
        if TITLE_ASKED in request["messages"][0]["content"]:
            words = ("- ..." if "[title-blank]" in last else TITLE_ANSWER).split(" ")
        try:
            for index, word in enumerate(words):
                if "[slow]" in last:
                    time.sleep(DELAY)
                self.wfile.write(sse_chunk(word if index == 0 else " " + word))
                self.wfile.flush()
                if "[break]" in last and index == 1:
                    self.close_connection = True
                    return
                if "[badjson]" in last and index == 0:
                    self.wfile.write(b"data: {this is not json\n\n")
                    return
                if "[error]" in last and index == 1:
                    self.wfile.write(b'data: {"error": {"message": "context length exceeded"}}\n\n')
                    return
            self.wfile.write(sse_chunk(finish="stop"))
            if "[nousage]" not in last:
                self.wfile.write(sse_chunk(usage={"prompt_tokens": 11, "completion_tokens": len(words)}))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

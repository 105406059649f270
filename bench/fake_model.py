"""A fake OpenAI-compatible model server for the benchmarks (bench/context_budget.py): a loopback
HTTP server in a thread of the bench's process, like tests/model_server.py, that counts each prompt
with conversation.tokens (message_tokens of each message's text_tokens, plus PROMPT_OVERHEAD_TOKENS),
records it, streams the answer it is given (the first delta at once) and reports usage."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.model_server import sse_chunk


class FakeModel(ThreadingHTTPServer):
    """An OpenAI-compatible streaming server on a loopback port: counts each prompt with
    conversation.tokens, records it, answers the reply it is given (first delta at once), reports
    usage."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.calls: list[dict] = []  # {kind, turn, tokens, max_tokens, messages}
        self.chat: object = None  # the chat whose turn it is (a background call is of it)
        self.turn: int | None = None  # the turn whose reply is asked now (None: between turns)
        self.reply_text = ""
        self._replied = False
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def expect_reply(self, *, chat: object, turn: int, text: str) -> None:
        """The next request is `chat`'s reply of `turn`; any other, until the next, is its background work."""
        with self.lock:
            self.chat, self.turn, self.reply_text, self._replied = chat, turn, text, False

    def between_turns(self) -> None:
        with self.lock:
            self.turn = None

    def take(self, request: dict, tokens: int) -> tuple[str, str]:
        """(kind, answer) of a request, recorded."""
        with self.lock:
            if self.turn is not None and not self._replied:
                kind, answer = "reply", self.reply_text
                self._replied = True
            else:
                first = (request["messages"] or [{}])[0].get("content", "").lower()
                kind = "title" if "title" in first and "summar" not in first else "summary"
                answer = "A bench chat" if kind == "title" else _summary_answer(request["messages"])
            self.calls.append(
                {
                    "kind": kind,
                    "chat": self.chat,
                    "turn": self.turn,
                    "tokens": tokens,
                    "max_tokens": request.get("max_tokens"),
                    "messages": request["messages"],
                }
            )
            return kind, answer

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _summary_answer(messages: list[dict]) -> str:
    """A summary of a few hundred tokens that names the turns it was shown."""
    turns = sorted({int(n) for m in messages for n in re.findall(r"\[turn (\d+)\]", m.get("content") or "")})
    named = ", ".join(str(t) for t in turns[-200:]) or "none"
    return f"Summary of turns {named}. " + " ".join(["The user and the assistant talked at length."] * 30)


def _chunk(content: str | None = None, *, finish: str | None = None, usage: dict | None = None) -> bytes:
    return sse_chunk(content, finish=finish, usage=usage, model="gpt-4")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each chunk leaves at once: with Nagle's algorithm the first delta would wait for the ACK of
    # the headers (a delayed ACK: up to 40 ms on Linux), which no real server's answer does.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        from conversation import tokens

        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        counted = _prompt_tokens(request["messages"])
        _, answer = self.server.take(request, counted)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            words = answer.split(" ")
            self.wfile.write(_chunk(words[0]))  # the first delta at once
            self.wfile.flush()
            step = max(1, len(words) // 8)
            for start in range(1, len(words), step):
                self.wfile.write(_chunk(" " + " ".join(words[start : start + step])))
            self.wfile.write(_chunk(finish="stop"))
            usage = {"prompt_tokens": counted, "completion_tokens": tokens.text_tokens(answer)}
            self.wfile.write(_chunk(usage=usage))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _prompt_tokens(messages: list[dict]) -> int:
    from conversation import tokens

    return (
        sum(tokens.message_tokens(tokens.text_tokens(m.get("content") or "")) for m in messages)
        + tokens.PROMPT_OVERHEAD_TOKENS
    )

"""Assistant backends: given a prompt's messages (conversation/prompt.py), stream the reply's text.

- ``openai``: any OpenAI-compatible ``/v1/chat/completions`` server with ``stream=true`` (Ollama,
  vLLM, llama.cpp server, OpenAI), used when ASSISTANT_BASE_URL is set.
- ``offline``: the development default, like Django's console e-mail backend: a short
  deterministic reply, word by word, that says no model is configured and how to configure one.

A backend yields ``Delta`` events, then at most one ``Usage``; any failure raises
``AssistantError`` with a message fit to show to the person chatting.
"""

import asyncio
import functools
import json
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from asgiref.sync import async_to_sync
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None


class AssistantError(Exception):
    """The reply could not be produced (or not finished); the message says why, in plain words."""


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Made once per process: a client's own would read certifi's CA bundle again for every reply,
    # most of the time to a reply's first word (bench/context_budget.py measured 78 ms of 101).
    return httpx.create_ssl_context()


class OfflineBackend:
    name = "offline"

    def __init__(self, *, delay_seconds: float) -> None:
        self.model = "offline"
        self.delay_seconds = delay_seconds

    async def stream(self, *, messages: list[dict], max_tokens: int | None = None) -> AsyncIterator[Delta | Usage]:
        said = messages[-1]["content"] if len(messages) > 1 else ""
        quoted = " ".join(said.split())[:120]
        reply = (
            f'You said: "{quoted}". No assistant model is configured, so this is the offline development '
            "backend answering. Set ASSISTANT_BASE_URL (and ASSISTANT_MODEL) to an OpenAI-compatible "
            "server such as Ollama or vLLM to get real replies."
        )
        words = reply.split(" ")
        for index, word in enumerate(words):
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            yield Delta(word if index == 0 else " " + word)
        yield Usage(prompt_tokens=None, completion_tokens=len(words))


class OpenAIBackend:
    name = "openai"

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout_seconds: float, max_tokens: int) -> None:
        base = base_url.rstrip("/")
        self.url = f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"
        self.api_key = api_key
        self.model = model
        self.timeout = httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds))
        self.timeout_seconds = timeout_seconds
        self.max_tokens = max_tokens

    async def stream(self, *, messages: list[dict], max_tokens: int | None = None) -> AsyncIterator[Delta | Usage]:
        body = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": max_tokens or self.max_tokens,
        }
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout, verify=_tls_context()) as client,
                client.stream("POST", self.url, json=body, headers=headers) as response,
            ):
                if response.status_code >= 400:
                    detail = (await response.aread()).decode(errors="replace").strip()[:300]
                    logger.warning("model server %s answered HTTP %s: %s", self.url, response.status_code, detail)
                    raise AssistantError(
                        f"The assistant's model server refused the request (HTTP {response.status_code}). "
                        "Try again in a moment; if it keeps happening, tell the site's administrator."
                    )
                async for event in self._events(response):
                    yield event
        except httpx.ConnectError as exc:
            logger.warning("model server %s unreachable: %s", self.url, exc)
            raise AssistantError(
                "Could not connect to the assistant's model server. Try again in a moment; "
                "if it keeps happening, tell the site's administrator."
            ) from exc
        except httpx.TimeoutException as exc:
            logger.warning("model server %s timed out: %r", self.url, exc)
            raise AssistantError(
                f"The assistant's model server did not answer within {self.timeout_seconds:g} seconds. Try again."
            ) from exc
        except httpx.HTTPError as exc:
            logger.warning("connection to model server %s broke off: %r", self.url, exc)
            raise AssistantError("The connection to the assistant's model server broke off. Try again.") from exc

    async def _events(self, response: httpx.Response) -> AsyncIterator[Delta | Usage]:
        finished = False
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments and other SSE fields
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                finished = True
                break
            try:
                chunk = json.loads(data)
            except json.JSONDecodeError as exc:
                raise AssistantError("The model server sent a malformed stream (a chunk is not JSON).") from exc
            if not isinstance(chunk, dict):
                raise AssistantError("The model server sent a malformed stream (a chunk is not an object).")
            if chunk.get("error"):
                error = chunk["error"]
                message = error.get("message") if isinstance(error, dict) else str(error)
                logger.warning("model server %s reported an error: %s", self.url, message)
                raise AssistantError(
                    "The model stopped with an error. Try again; if the chat is very long, start a new one."
                )
            for choice in chunk.get("choices") or []:
                content = (choice.get("delta") or {}).get("content")
                if content:
                    yield Delta(content)
                if choice.get("finish_reason"):
                    finished = True
            usage = chunk.get("usage")
            if isinstance(usage, dict):
                yield Usage(prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"))
        if not finished:
            raise AssistantError("The model server closed the stream before the reply was finished.")


def assistant_model() -> str:
    """The model replies are asked of, as tokens.py knows it ("offline" for the offline backend)."""
    return settings.ASSISTANT_MODEL if settings.ASSISTANT_BASE_URL else "offline"


def assistant_backend() -> OfflineBackend | OpenAIBackend:
    if settings.ASSISTANT_BASE_URL:
        return OpenAIBackend(
            base_url=settings.ASSISTANT_BASE_URL,
            api_key=settings.ASSISTANT_API_KEY,
            model=settings.ASSISTANT_MODEL,
            timeout_seconds=settings.ASSISTANT_TIMEOUT_SECONDS,
            max_tokens=settings.ASSISTANT_MAX_TOKENS,
        )
    return OfflineBackend(delay_seconds=settings.ASSISTANT_OFFLINE_DELAY_SECONDS)


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage | None  # as the server reported it; None: it did not
    backend: str
    model: str


def assistant_complete(*, messages: list[dict], max_tokens: int) -> Completion:
    """A whole answer to `messages` (sync: for background work, a summary or a title), from the same
    backend as replies, within ASSISTANT_DEADLINE_SECONDS. AssistantError when it fails."""
    backend = assistant_backend()

    async def run() -> Completion:
        parts, usage = [], None
        async with asyncio.timeout(settings.ASSISTANT_DEADLINE_SECONDS):
            async for event in backend.stream(messages=messages, max_tokens=max_tokens):
                if isinstance(event, Delta):
                    parts.append(event.text)
                else:
                    usage = event
        return Completion(text="".join(parts), usage=usage, backend=backend.name, model=backend.model)

    try:
        return async_to_sync(run)()
    except TimeoutError as exc:
        raise AssistantError("The model took too long to answer.") from exc

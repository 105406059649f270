"""The backends against a real loopback server speaking the streaming protocol; no mocked client."""

import socket

import pytest

from conversation.assistant import AssistantError, Delta, OfflineBackend, OpenAIBackend, Usage
from tests.model_server import DELAY


def backend(url: str, *, timeout: float = 5.0) -> OpenAIBackend:
    return OpenAIBackend(base_url=url, api_key="k", model="m", timeout_seconds=timeout, max_tokens=256)


async def collect(stream):
    deltas, usages = [], []
    async for event in stream:
        (deltas if isinstance(event, Delta) else usages).append(event)
    return "".join(d.text for d in deltas), usages


def window(text: str) -> list[dict]:
    return [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": text},
    ]


async def test_a_normal_stream_yields_the_text_and_the_usage(model_server):
    text, usages = await collect(backend(model_server.url).stream(messages=window("hi there")))
    assert text == "Echo: hi there"
    assert usages == [Usage(prompt_tokens=11, completion_tokens=3)]
    sent = model_server.requests[-1]
    assert sent["_path"] == "/v1/chat/completions"
    assert sent["_authorization"] == "Bearer k"
    assert sent["stream"] is True
    assert sent["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "hi there"},
    ]


async def test_a_base_url_ending_in_v1_is_used_as_is(model_server):
    await collect(backend(model_server.url + "/v1").stream(messages=window("x")))
    assert model_server.requests[-1]["_path"] == "/v1/chat/completions"


async def test_a_slow_stream_within_the_timeout_completes(model_server):
    text, _ = await collect(backend(model_server.url, timeout=DELAY * 4).stream(messages=window("[slow] a")))
    assert text == "Echo: [slow] a"


async def test_a_stream_slower_than_the_timeout_fails_clearly(model_server):
    with pytest.raises(AssistantError, match=r"did not answer within 0\.1 seconds"):
        await collect(backend(model_server.url, timeout=0.1).stream(messages=window("[slow] a b c")))


async def test_a_stream_that_breaks_off_fails_clearly(model_server):
    with pytest.raises(AssistantError, match=r"closed the stream before the reply was finished|broke off"):
        await collect(backend(model_server.url).stream(messages=window("[break] one two three")))


async def test_an_invalid_json_chunk_fails_clearly(model_server):
    with pytest.raises(AssistantError, match="malformed stream"):
        await collect(backend(model_server.url).stream(messages=window("[badjson] x")))


async def test_an_error_inside_the_stream_is_reported_with_the_details_in_the_log_only(model_server, caplog):
    with pytest.raises(AssistantError, match="The model stopped with an error") as caught:
        await collect(backend(model_server.url).stream(messages=window("[error] a b c")))
    assert "context length exceeded" not in str(caught.value)
    assert "context length exceeded" in caplog.text


async def test_http_500_says_what_to_do_and_logs_the_servers_answer(model_server, caplog):
    with pytest.raises(AssistantError, match=r"refused the request \(HTTP 500\)\. Try again") as caught:
        await collect(backend(model_server.url).stream(messages=window("[500]")))
    assert "model overloaded" not in str(caught.value)
    assert "127.0.0.1" not in str(caught.value)
    assert "model overloaded" in caplog.text


async def test_connection_refused_fails_clearly_without_the_servers_address(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(AssistantError, match="Could not connect to the assistant's model server") as caught:
        await collect(backend(f"http://127.0.0.1:{port}").stream(messages=window("x")))
    assert str(port) not in str(caught.value)
    assert f"127.0.0.1:{port}" in caplog.text


async def test_the_offline_backend_is_deterministic_and_says_no_model_is_configured():
    first, _ = await collect(OfflineBackend(delay_seconds=0).stream(messages=window("Hello!")))
    second, _ = await collect(OfflineBackend(delay_seconds=0).stream(messages=window("Hello!")))
    assert first == second
    assert first.startswith('You said: "Hello!".')
    assert "No assistant model is configured" in first
    assert "ASSISTANT_BASE_URL" in first

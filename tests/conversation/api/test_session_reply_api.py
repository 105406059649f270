import json
import time

import httpx
import pytest

from conversation.models import Utterance
from tests.helpers import token_client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def parse_sse(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def url(session) -> str:
    return f"/api/sessions/{session.pk}/reply/"


def test_it_streams_server_sent_events_by_default(owner, session, openai_backend):
    response = token_client(owner).post(url(session), {"text": "hello there", "client_id": "m1"}, format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    events = parse_sse(b"".join(list(response)).decode())
    names = [name for name, _ in events]
    assert names[0] == "start"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"delta"}
    assert "".join(data["text"] for name, data in events if name == "delta") == "Echo: hello there"
    assert events[0][1]["user_utterance"]["text"] == "hello there"
    done = events[-1][1]
    assert done["utterance"]["role"] == "assistant"
    assert done["utterance"]["metadata"]["backend"] == "openai"
    assert done["session"]["message_count"] == 2


def test_it_answers_one_json_body_when_asked(owner, session, openai_backend):
    response = token_client(owner).post(url(session), {"text": "hi"}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["user_utterance"]["text"] == "hi"
    assert body["reply"]["text"] == "Echo: hi"
    assert body["session"]["id"] == str(session.pk)


def test_a_retry_does_not_store_a_second_user_message(owner, session, openai_backend):
    client = token_client(owner)
    first = client.post(url(session), {"text": "hi", "client_id": "r1"}, format="json", HTTP_ACCEPT="application/json")
    again = client.post(url(session), {"text": "hi", "client_id": "r1"}, format="json", HTTP_ACCEPT="application/json")
    assert again.json()["reply"]["seq"] == first.json()["reply"]["seq"]
    assert Utterance.objects.filter(session=session).count() == 2


def test_a_model_failure_still_answers_with_the_error_in_the_reply(owner, session, openai_backend):
    body = (
        token_client(owner)
        .post(url(session), {"text": "[500] hello"}, format="json", HTTP_ACCEPT="application/json")
        .json()
    )
    assert "HTTP 500" in body["reply"]["metadata"]["error"]
    assert body["user_utterance"]["text"] == "[500] hello"


@pytest.mark.parametrize(("payload", "field"), [({"text": ""}, "text"), ({"text": 3}, "text"), ({}, "text")])
def test_bad_input_is_400_and_writes_nothing(owner, session, payload, field):
    response = token_client(owner).post(url(session), payload, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Utterance.objects.exists()


def test_an_oversized_message_is_400(owner, session, settings):
    settings.MAX_UTTERANCE_CHARS = 10
    response = token_client(owner).post(url(session), {"text": "x" * 11}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert not Utterance.objects.exists()


def test_another_users_session_is_not_found(outsider, session):
    response = token_client(outsider).post(url(session), {"text": "hi"}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert not Utterance.objects.exists()


def test_a_client_that_disconnects_mid_stream_leaves_the_partial_reply_stored(owner, session, live_url):
    token = token_client(owner)._credentials["HTTP_AUTHORIZATION"]
    text = "[slow] one two three four five six seven eight"
    with (
        httpx.Client(base_url=live_url, timeout=10) as client,
        client.stream("POST", url(session), json={"text": text}, headers={"Authorization": token}) as response,
    ):
        assert response.status_code == 200
        deltas = 0
        for line in response.iter_lines():
            if line == "event: delta":
                deltas += 1
                if deltas == 2:
                    break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        reply = Utterance.objects.filter(session=session, role="assistant").first()
        if reply is not None:
            break
        time.sleep(0.1)
    assert reply is not None, "the partial reply was not stored"
    assert reply.metadata.get("interrupted") is True
    assert reply.text.startswith("Echo:")
    assert len(reply.text) < len("Echo: " + text)
    assert Utterance.objects.get(session=session, role="user").text == text


def post_json(client, session, text: str, client_id: str | None = None):
    body = {"text": text} | ({"client_id": client_id} if client_id else {})
    return client.post(url(session), body, format="json", HTTP_ACCEPT="application/json")


def test_a_second_message_while_a_reply_is_written_is_a_409_and_stores_nothing(owner, session, openai_backend):
    import threading

    first: dict = {}
    worker = threading.Thread(
        target=lambda: first.setdefault("response", post_json(token_client(owner), session, "[slow] a b c d", "m1"))
    )
    worker.start()
    deadline = time.monotonic() + 5
    while not Utterance.objects.filter(client_id="m1").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    refused = post_json(token_client(owner), session, "second", "m2")
    worker.join()
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "A reply is still being written in this session: wait for it to end, or stop it, then send."
    }
    assert first["response"].json()["reply"]["text"] == "Echo: [slow] a b c d"
    assert list(Utterance.objects.filter(session=session).order_by("seq").values_list("role", "client_id")) == [
        ("user", "m1"),
        ("assistant", "m1:reply"),
    ]


def test_a_retry_after_an_error_generates_again_and_after_success_answers_the_stored_reply(
    owner, session, openai_backend, settings
):
    client = token_client(owner)
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9"
    assert "error" in post_json(client, session, "hi", "r1").json()["reply"]["metadata"]
    settings.ASSISTANT_BASE_URL = openai_backend.url
    second = post_json(client, session, "hi", "r1").json()["reply"]
    assert second["text"] == "Echo: hi"
    third = post_json(client, session, "hi", "r1").json()["reply"]
    assert third["seq"] == second["seq"]
    assert len(openai_backend.requests) == 1


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
def test_a_message_with_a_client_id_at_the_limit_keeps_its_reply_and_its_retries(
    owner, session, openai_backend, settings, accept
):
    client, client_id = token_client(owner), "k" * settings.MAX_CLIENT_ID_CHARS

    def reply() -> dict:
        response = client.post(url(session), {"text": "hi", "client_id": client_id}, format="json", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        if accept == "application/json":
            return response.json()["reply"]
        name, data = parse_sse(b"".join(list(response)).decode())[-1]
        assert name == "done"
        return data["utterance"]

    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:9"  # refused: attempts 1 and 2 end in an error
    failed = [reply(), reply()]
    assert all("error" in attempt["metadata"] for attempt in failed)
    settings.ASSISTANT_BASE_URL = openai_backend.url
    assert reply()["text"] == "Echo: hi"  # attempt 3
    assert Utterance.objects.filter(session=session, role="assistant").count() == 3
    assert Utterance.objects.filter(session=session, role="user").count() == 1

"""Clients of a running server, as programs and browsers reach it: token API calls and chat sockets."""

import json
import re

import httpx
import websockets


def login(client: httpx.Client, *, email: str, password: str) -> None:
    """Log `client` in through the real login form (its cookies then carry the session)."""
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": str(client.base_url) + "/accounts/login/"},
    )
    assert response.status_code == 302, response.text


def api_token(client: httpx.Client, *, email: str, password: str) -> str:
    response = client.post("/api/auth/token/", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def chat_socket(base_url: str, cookies: httpx.Cookies):
    """The chat page's WebSocket, opened with the browser's cookies and origin."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return await websockets.connect(
        base_url.replace("http", "ws", 1) + "/ws/chat/",
        additional_headers={"Cookie": cookie, "Origin": base_url},
        open_timeout=10,
    )


async def receive_until(socket, done, *, timeout: float = 30.0) -> list[dict]:
    """Every event the socket receives up to and including the first for which `done(event)` is true."""
    import asyncio

    received = []
    async with asyncio.timeout(timeout):
        while True:
            event = json.loads(await socket.recv())
            received.append(event)
            if done(event):
                return received


def reply_end_of(client_id: str):
    """A `receive_until` test: the end of the reply to the message sent with `client_id`."""

    def done(event: dict) -> bool:
        utterance = event.get("utterance") or {}
        return event["type"] == "reply.end" and (utterance.get("client_id") or "").startswith(client_id + ":")

    return done

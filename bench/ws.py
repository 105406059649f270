"""WebSocket benchmark: 100 and 500 concurrent clients on one Daphne process, each sending
messages answered by the offline backend (no pauses): messages/s and p50/p99 time to first delta,
beside a bare echo consumer on the same server in the same run (messages/s and round trip)."""

import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path

from bench.harness import daphne, login_session_key, percentile, print_table, setup_django

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_WS_SECONDS", "10"))
REPLY_TIMEOUT_SECONDS = 30
COUNTS = [int(n) for n in os.environ.get("BENCH_WS_CLIENTS", "100,500").split(",")]


def make_clients(count: int) -> list[tuple[str, str]]:
    """(session cookie, session id) for `count` users, each with one chat session."""
    from accounts.models import User
    from conversation.sessions.create import session_create

    clients = []
    for _ in range(count):
        user = User.objects.create_user(email=f"ws-{uuid.uuid4().hex[:10]}@example.com")
        clients.append((login_session_key(user), str(session_create(user=user).pk)))
    return clients


async def chat_client(url, cookie, session_id, deadline, first_delta_ms, counts):
    import websockets

    headers = {"Cookie": f"sessionid={cookie}", "Origin": "http://localhost"}
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            started = time.monotonic()
            await ws.send(
                json.dumps(
                    {"type": "send", "session_id": session_id, "client_id": uuid.uuid4().hex, "text": f"message {n}"}
                )
            )
            got_first = False
            while True:
                try:
                    event = json.loads(await asyncio.wait_for(ws.recv(), timeout=REPLY_TIMEOUT_SECONDS))
                except TimeoutError:
                    counts.append(0)  # no end within the timeout: counted, and this client stops
                    return
                if event["type"] == "reply.delta" and not got_first:
                    first_delta_ms.append((time.monotonic() - started) * 1000)
                    got_first = True
                elif event["type"] == "reply.end":
                    counts.append(1)
                    break
                elif event["type"] == "error":
                    raise RuntimeError(event)


async def echo_client(url, deadline, rtt_ms, counts):
    import websockets

    async with websockets.connect(url, additional_headers={"Origin": "http://localhost"}) as ws:
        while time.monotonic() < deadline:
            started = time.monotonic()
            await ws.send("ping")
            await ws.recv()
            rtt_ms.append((time.monotonic() - started) * 1000)
            counts.append(1)


async def run(base: str, clients: list[tuple[str, str]], count: int) -> tuple[dict, dict]:
    deadline = time.monotonic() + SECONDS
    rtt, echoes = [], []
    await asyncio.gather(*(echo_client(f"{base}/ws/echo/", deadline, rtt, echoes) for _ in range(count)))
    echo = {"rate": len(echoes) / SECONDS, "p50": statistics.median(rtt), "p99": percentile(rtt, 99)}
    return echo, await chat_run(base, clients, count)


async def chat_run(base: str, clients: list[tuple[str, str]], count: int) -> dict:
    """`count` chat clients sending for SECONDS: replies/s, first delta p50/p99 (ms), and how many
    clients got no reply's end in time."""
    deadline = time.monotonic() + SECONDS
    first, replies = [], []
    await asyncio.gather(
        *(chat_client(f"{base}/ws/chat/", cookie, sid, deadline, first, replies) for cookie, sid in clients[:count])
    )
    return {
        "replies": sum(replies),
        "rate": sum(replies) / SECONDS,
        "p50": statistics.median(first),
        "p99": percentile(first, 99),
        "timeouts": replies.count(0),
    }


def main() -> None:
    setup_django()
    clients = make_clients(max(COUNTS))
    rows = []
    quick = {
        "ASSISTANT_OFFLINE_DELAY_SECONDS": "0",
        "WS_MAX_MESSAGES_PER_MINUTE": "100000",
        "THROTTLE_API_REPLY": "100000000/min",
    }
    with daphne("bench.asgi_echo:application", **quick) as host:
        for count in COUNTS:
            echo, chat = asyncio.run(run(f"ws://{host}", clients, count))
            rows.append(
                [
                    f"echo consumer, {count} clients",
                    f"{echo['rate']:,.0f}",
                    f"{echo['p50']:.1f}",
                    f"{echo['p99']:.1f}",
                    "round trip",
                ]
            )
            rows.append(
                [
                    f"chat send -> reply, {count} clients",
                    f"{chat['rate']:,.0f}",
                    f"{chat['p50']:.1f}",
                    f"{chat['p99']:.1f}",
                    f"first delta; {chat['rate'] / echo['rate']:.3f} of echo's rate; "
                    f"{chat['timeouts']} clients got no end within {REPLY_TIMEOUT_SECONDS} s",
                ]
            )
    print_table(
        "WebSocket benchmark (one Daphne process, Redis channel layer, offline backend)",
        ["clients", "messages/s", "p50 ms", "p99 ms", "latency is"],
        rows,
    )

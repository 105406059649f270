"""Chaos run: users chat through restarts of Redis and PostgreSQL and dropped connections.

For BENCH_CHAOS_SECONDS (default 180), 200 simulated users on the WebSocket and 50 API clients chat
with the offline backend slowed to multi-second replies, on two Daphne processes sharing a
PostgreSQL and a Redis of the run's own. A third of the way in Redis is restarted, two thirds in
PostgreSQL; all along, random client connections are dropped. Clients behave as the chat page and
a careful program do: a message keeps its client_id until the server has accepted it, and is sent
again after any failure (a dropped socket, a refused or failed request).

At the end, what the clients were told (accepted messages, completed replies) is compared with the
database: lost (accepted, not stored), duplicated (stored more than once), and requests that failed
after recovery (more than RECOVERY_SECONDS after a restart finished). Target: 0, 0, 0.
"""

import asyncio
import json
import math
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import ROOT, login_session_key, print_table

SECONDS = float(os.environ.get("BENCH_CHAOS_SECONDS", "180"))
WS_USERS = int(os.environ.get("BENCH_CHAOS_WS_USERS", "200"))
API_CLIENTS = int(os.environ.get("BENCH_CHAOS_API_CLIENTS", "50"))
DROP_PROBABILITY = 0.05  # per reply a WebSocket client waits for, it drops its connection mid-way
RECOVERY_SECONDS = 5.0
# A reply takes at most ~6 s; waiting longer means its end was lost (events sent while Redis was
# down are lost): the client sends the message again, which answers the stored reply.
REPLY_TIMEOUT_SECONDS = 30
# The offline backend's ~35 words, plus the quoted message: about 2-6 s a reply.
WORD_DELAY_SECONDS = "0.08"


@dataclass
class Tally:
    accepted: set[str] = field(default_factory=set)  # marker texts the server said it stored
    completed: set[str] = field(default_factory=set)  # markers whose reply the client received
    requests: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)  # (when, what)
    drops: int = 0


@dataclass
class Chaos:
    restarts: list[list] = field(default_factory=list)  # [what, began, ended]

    def recovered(self, moment: float) -> bool:
        """Whether `moment` is outside every restart and its recovery time."""
        return all(not (began <= moment <= ended + RECOVERY_SECONDS) for _, began, ended in self.restarts)


def _prepare(database_url: str, redis_url: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Users and their sessions: ([(ws cookie, session id)], [(api token, session id)])."""
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    from bench.harness import setup_django

    setup_django()
    from accounts.models import User
    from accounts.services import device_token_create
    from conversation.sessions.create import session_create

    ws, api = [], []
    for n in range(WS_USERS + API_CLIENTS):
        user = User.objects.create_user(email=f"chaos-{n}-{uuid.uuid4().hex[:6]}@example.com")
        session_id = str(session_create(user=user).pk)
        if n < WS_USERS:
            ws.append((login_session_key(user), session_id))
        else:
            api.append((device_token_create(user=user, name="chaos")[1], session_id))
    from django.db import connections

    connections.close_all()
    return ws, api


def _message(n: int) -> tuple[str, str]:
    marker = f"m-{uuid.uuid4().hex}"
    return marker, f"{marker} " + " ".join(["word"] * random.randint(1, 15))


async def ws_user(url: str, cookie: str, session_id: str, deadline: float, tally: Tally, chaos: Chaos) -> None:
    import websockets

    headers = {"Cookie": f"sessionid={cookie}", "Origin": "http://localhost"}
    n = 0
    while time.monotonic() < deadline:
        n += 1
        marker, text = _message(n)
        client_id = marker
        got_reply = False
        while not got_reply:
            if time.monotonic() > deadline + 60:
                return
            tally.requests += 1
            sent_at = time.monotonic()
            try:
                async with websockets.connect(url, additional_headers=headers, open_timeout=10) as ws:
                    frame = {"type": "send", "session_id": session_id, "client_id": client_id, "text": text}
                    await ws.send(json.dumps(frame))
                    drop = random.random() < DROP_PROBABILITY
                    while True:
                        event = json.loads(await asyncio.wait_for(ws.recv(), timeout=REPLY_TIMEOUT_SECONDS))
                        if event["type"] == "send.accepted" and event["client_id"] == client_id:
                            tally.accepted.add(marker)
                            if drop:
                                tally.drops += 1
                                break  # drop the connection mid-reply; the retry joins or gets the reply
                        elif event["type"] == "error" and event.get("client_id") == client_id:
                            if event["code"] != "busy":
                                raise RuntimeError(f"refused: {event['code']}")
                            await asyncio.sleep(1)
                            break
                        elif event["type"] == "reply.end" and (event.get("utterance") or {}).get(
                            "client_id", ""
                        ).startswith(client_id + ":"):
                            tally.completed.add(marker)
                            got_reply = True
                            break
            except Exception as exc:  # every failure is counted (after recovery), then retried
                if chaos.recovered(sent_at) and chaos.recovered(time.monotonic()):
                    tally.failures.append((sent_at, f"ws: {type(exc).__name__}: {exc}"[:160]))
                await asyncio.sleep(0.5)


async def api_client(base: str, token: str, session_id: str, deadline: float, tally: Tally, chaos: Chaos) -> None:
    import httpx

    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            marker, text = _message(n)
            # A saved utterance (as the voice agent saves), then a reply; each retried until done.
            for path, body, done in (
                (f"/api/sessions/{session_id}/utterances/", {"role": "user", "text": text, "client_id": marker}, None),
                (f"/api/sessions/{session_id}/reply/", {"text": f"{marker}-r ask", "client_id": marker + "-r"}, "r"),
            ):
                while time.monotonic() < deadline + 60:
                    tally.requests += 1
                    sent_at = time.monotonic()
                    try:
                        response = await client.post(path, json=body)
                    except httpx.HTTPError as exc:
                        status, detail = None, type(exc).__name__
                    else:
                        status, detail = response.status_code, response.text[:120]
                    if status in (200, 201):
                        tally.accepted.add(marker if done is None else marker + "-r")
                        if done is not None and response.json()["reply"]:
                            tally.completed.add(marker + "-r")
                        break
                    if status not in (409, 429) and chaos.recovered(sent_at) and chaos.recovered(time.monotonic()):
                        tally.failures.append((sent_at, f"api {status}: {detail}"))
                    await asyncio.sleep(0.5)


async def chaos_driver(postgres, redis, started: float, chaos: Chaos) -> None:
    async def redis_restart() -> None:
        await asyncio.to_thread(redis.stop)
        await asyncio.sleep(1)
        await asyncio.to_thread(redis.start)

    for what, at, restart in (
        ("redis", SECONDS / 3, redis_restart),
        ("postgresql", 2 * SECONDS / 3, lambda: asyncio.to_thread(postgres.restart)),
    ):
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        window = [what, time.monotonic(), math.inf]  # a restart under way counts from its start
        chaos.restarts.append(window)
        await restart()
        window[2] = time.monotonic()


def _check(tally: Tally) -> dict[str, int]:
    """Lost and duplicated, from the database: each accepted message stored once, each completed
    reply stored once as a whole reply (attempts that ended in an error or were stopped aside)."""
    from conversation.models import Utterance

    messages = Counter(
        text.split(" ", 1)[0]
        for text in Utterance.objects.filter(role="user", text__startswith="m-").values_list("text", flat=True)
    )
    replies = Counter()
    for client_id, metadata in Utterance.objects.filter(role="assistant", client_id__contains=":reply").values_list(
        "client_id", "metadata"
    ):
        if not metadata.get("error") and not metadata.get("interrupted"):
            replies[client_id.split(":reply", 1)[0]] += 1
    return {
        "lost": sum(messages[m] == 0 for m in tally.accepted) + sum(replies[m] == 0 for m in tally.completed),
        "duplicated": sum(count > 1 for count in messages.values()) + sum(count > 1 for count in replies.values()),
    }


def main() -> None:
    from tests.servers import PostgresServer, RedisServer, start_daphne, stop_process

    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    postgres, redis = PostgresServer(), RedisServer(workdir)
    processes = []
    try:
        postgres.create()
        redis.start()
        ws_clients, api_clients = _prepare(postgres.url, redis.url)
        env = {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "ASSISTANT_BASE_URL": "",
            "ASSISTANT_OFFLINE_DELAY_SECONDS": WORD_DELAY_SECONDS,
            "THROTTLE_API_REPLY": "100000/min",
            "THROTTLE_API_WRITE": "100000/min",
            "WS_MAX_MESSAGES_PER_MINUTE": "100000",
            "LOG_LEVEL": "WARNING",
        }
        urls = []
        for n in range(2):
            process, url = start_daphne(env=env, log=workdir / f"daphne-{n}.log")
            processes.append(process)
            urls.append(url)

        tally, chaos = Tally(), Chaos()

        async def run() -> None:
            started = time.monotonic()
            deadline = started + SECONDS
            tasks = [
                ws_user(urls[n % 2].replace("http", "ws", 1) + "/ws/chat/", cookie, sid, deadline, tally, chaos)
                for n, (cookie, sid) in enumerate(ws_clients)
            ]
            tasks += [
                api_client(urls[n % 2], token, sid, deadline, tally, chaos)
                for n, (token, sid) in enumerate(api_clients)
            ]
            await asyncio.gather(chaos_driver(postgres, redis, started, chaos), *tasks)

        began = time.monotonic()
        asyncio.run(run())
        elapsed = time.monotonic() - began
        result = _check(tally)
        restarts = ", ".join(f"{what} {ended - began:.1f} s" for what, began, ended in chaos.restarts)
        print_table(
            f"Chaos run: {WS_USERS} socket users + {API_CLIENTS} API clients, 2 Daphne processes, "
            f"{elapsed:.0f} s (restarts: {restarts}; {tally.drops} connections dropped)",
            ["measure", "count", "target"],
            [
                ["messages accepted", f"{len(tally.accepted):,}", ""],
                ["replies completed", f"{len(tally.completed):,}", ""],
                ["requests and sends made", f"{tally.requests:,}", ""],
                ["accepted but lost", str(result["lost"]), "0"],
                ["stored twice", str(result["duplicated"]), "0"],
                ["failed after recovery", str(len(tally.failures)), "0"],
            ],
        )
        for moment, what in tally.failures[:10]:
            print(f"  failure at {moment - began:.1f} s: {what}")
    finally:
        for process in processes:
            stop_process(process)
        redis.stop()
        postgres.destroy()
        print(f"(server logs in {workdir})")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

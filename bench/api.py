"""API benchmark: Daphne on PostgreSQL and Redis, driven by wrk from a second process.

Requests/s (2xx answers only) and p50/p99 for listing sessions, a history page and an append, at 1 and 16 concurrent
connections, beside a trivial JSON view (/health/) served by the same server in the same run:
the ratio is the figure. Throttle rates are lifted for the run.
"""

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.harness import daphne, print_table, setup_django

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 5


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def run_wrk(wrk: str, url: str, *, connections: int, token: str | None, script: str | None = None) -> dict:
    """wrk against url: the rate of 2xx answers only (a throttle's or an error's answers are fast),
    p50/p99 of all, and how many were not 2xx."""
    args = [wrk, "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{SECONDS}s", "--latency"]
    if token:
        args += ["-H", f"Authorization: Token {token}"]
    if script:
        args += ["-s", script]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    total, duration, unit = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output).groups()
    seconds = float(duration) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    def pct(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    return {"rate": (int(total) - errors) / seconds, "p50": pct("50"), "p99": pct("99"), "errors": errors}


@dataclass
class ApiData:
    token: str
    history_id: str  # a session of 2,000 utterances
    appendable_id: str
    append_script: str  # wrk's Lua: POST one utterance


def api_data() -> ApiData:
    """A user with a device token, 200 sessions, one history of 2,000 utterances and one session to
    append to, and the wrk script of an append."""
    from django.db import connection

    from accounts.models import User
    from accounts.services import device_token_create
    from conversation.history.append import utterances_append
    from conversation.inputs import UtteranceIn
    from conversation.sessions.create import session_create

    user = User.objects.create_user(email=f"api-{uuid.uuid4().hex[:8]}@example.com")
    token = device_token_create(user=user, name="bench")[1]
    for n in range(200):
        session_create(user=user, title=f"session {n}")
    history = session_create(user=user)
    for start in range(0, 2000, 500):
        utterances_append(
            user=user,
            session_id=history.pk,
            utterances=[
                UtteranceIn(role="user" if i % 2 else "assistant", text=f"message {start + i} " * 8) for i in range(500)
            ],
        )
    appendable = session_create(user=user)
    if connection.vendor == "postgresql":
        # Statistics, as autovacuum keeps them on a live database: without them the planner takes
        # the fresh tables for empty and sorts all of a session's rows for a page of 50.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE conversation_session")
            cursor.execute("ANALYZE conversation_utterance")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            'wrk.body = \'{"role": "user", "text": "hello from the benchmark"}\'\n'
        )
    return ApiData(token=token, history_id=str(history.pk), appendable_id=str(appendable.pk), append_script=lua.name)


def api_requests(base: str, data: ApiData) -> list[tuple[str, str, str | None]]:
    """(label, URL, wrk script) of the measured API requests."""
    return [
        ("list sessions (50)", f"{base}/api/sessions/?limit=50", None),
        ("history page (50)", f"{base}/api/sessions/{data.history_id}/utterances/?limit=50&before=1000", None),
        ("append one utterance", f"{base}/api/sessions/{data.appendable_id}/utterances/", data.append_script),
    ]


def main() -> None:
    setup_django()
    wrk = ensure_wrk()
    data = api_data()
    rows = []
    lifted = {"THROTTLE_API_READ": "100000000/min", "THROTTLE_API_WRITE": "100000000/min"}
    with daphne("chatproject.asgi:application", **lifted) as host:
        base = f"http://{host}"
        for connections in (1, 16):
            baseline = run_wrk(wrk, f"{base}/health/", connections=connections, token=None)
            rows.append(
                [
                    f"trivial JSON view (/health/), {connections} conn",
                    f"{baseline['rate']:,.0f}",
                    f"{baseline['p50']:.2f}",
                    f"{baseline['p99']:.2f}",
                    "1.00",
                    baseline["errors"],
                ]
            )
            for label, url, script in api_requests(base, data):
                figures = run_wrk(wrk, url, connections=connections, token=data.token, script=script)
                rows.append(
                    [
                        f"{label}, {connections} conn",
                        f"{figures['rate']:,.0f}",
                        f"{figures['p50']:.2f}",
                        f"{figures['p99']:.2f}",
                        f"{figures['rate'] / baseline['rate']:.2f}",
                        figures["errors"],
                    ]
                )
    os.unlink(data.append_script)
    print_table(
        "API benchmark (Daphne, one process; wrk on loopback)",
        ["request", "req/s", "p50 ms", "p99 ms", "vs trivial view", "non-2xx"],
        rows,
    )

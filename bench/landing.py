"""Landing benchmark (issue 32): the chat page opened at a message in the middle of a long session,
beside the same page opened at its end, in the same run, requests in turns.

Sessions of LENGTH utterances (BENCH_LANDING_LENGTH, default 100,000), bulk-loaded with COPY:
- linear: one branch; the page at its end (`/c/{id}/`) and at its middle (`?at=LENGTH/2`);
- branched: the same, then the user message just past the middle edited (a new branch forks there,
  the head follows it, 100 utterances appended on it): the page at its end, at a seq in the middle of
  the active branch's first half, and at a seq in the middle of the half now on the other branch
  (another version: its newest leaf is found, its path read);
and the API's `?around=` beside its newest page. Server time: Django's whole handling of the request
(the test client in process: middleware, the view, its queries, the template). Target: each
landing's median within 1.5x of the end's.
"""

import os
import statistics
import time
import uuid
from datetime import UTC, datetime

import psycopg

from bench.harness import copy_chats, percentile, print_table, setup_django

LENGTH = int(os.environ.get("BENCH_LANDING_LENGTH", "100000"))
ROUNDS = int(os.environ.get("BENCH_LANDING_ROUNDS", "40"))
TARGET = 1.5


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.test import Client, override_settings

    from accounts.models import User
    from conversation.branches.edits import utterance_edit
    from conversation.history.append import utterances_append
    from conversation.inputs import UtteranceIn
    from conversation.models import Persona, Session

    dsn = os.environ["DATABASE_URL"]
    user = User.objects.create_user(email=f"landing-{uuid.uuid4().hex[:8]}@example.com")
    persona = Persona.objects.get(is_default=True)
    print(f"Loading two sessions of {LENGTH:,} utterances ...", flush=True)
    with psycopg.connect(dsn) as raw, raw.cursor() as cur:
        linear_id, branched_id = copy_chats(
            cur,
            user_id=user.pk,
            persona_id=persona.pk,
            sessions=2,
            per_session=LENGTH,
            title=lambda: "landing",
            text=lambda seq: f"message {seq} " + "words " * 20,
            moment=lambda n: datetime.now(tz=UTC),
        )
        raw.commit()
    middle = LENGTH // 2 + 1  # a user message (odd seqs are the user's)
    utterance_edit(user=user, session_id=branched_id, seq=middle, text="edited")
    utterances_append(
        user=user,
        session_id=branched_id,
        utterances=[UtteranceIn(role="assistant" if n % 2 else "user", text=f"new {n}") for n in range(1, 101)],
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE conversation_utterance")
        conn.execute("VACUUM ANALYZE conversation_session")
        conn.execute("VACUUM ANALYZE conversation_sessionbranch")
        conn.execute("CHECKPOINT")
    branched = Session.objects.get(pk=branched_id)
    assert branched.branch_path, "the edit made a branch"

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    api_client = Client(HTTP_HOST="localhost", HTTP_ACCEPT="application/json")
    api_client.force_login(user)
    cases = {
        "linear: page at the end": (client, f"/c/{linear_id}/"),
        "linear: page at the middle": (client, f"/c/{linear_id}/?at={LENGTH // 2}"),
        "branched: page at the end": (client, f"/c/{branched_id}/"),
        "branched: page at the active branch's middle": (client, f"/c/{branched_id}/?at={LENGTH // 4}"),
        "branched: page on another version": (client, f"/c/{branched_id}/?at={LENGTH * 3 // 4}"),
        "API, linear: newest page": (api_client, f"/api/sessions/{linear_id}/utterances/"),
        "API, linear: around the middle": (api_client, f"/api/sessions/{linear_id}/utterances/?around={LENGTH // 2}"),
        "API, branched: newest page": (api_client, f"/api/sessions/{branched_id}/utterances/"),
        "API, branched: around another version": (
            api_client,
            f"/api/sessions/{branched_id}/utterances/?around={LENGTH * 3 // 4}",
        ),
    }
    # Static files by their plain names: the hashed names need a collectstatic this run does not make
    # (a dictionary look-up either way, the same for every page measured).
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        samples = measure(cases)
    report(samples)


def measure(cases: dict) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for name, (who, url) in cases.items():  # warm: prepared statements, template cache
        response = who.get(url)
        assert response.status_code == 200, (name, response.status_code)
        if "?at=" in url:
            assert b' landed"' in response.content or b" landed" in response.content, name
    for _ in range(ROUNDS):  # in turns: a box that slows down moves every figure alike
        for name, (who, url) in cases.items():
            start = time.perf_counter()
            who.get(url)
            samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def report(samples: dict[str, list[float]]) -> None:
    baselines = {
        "linear": "linear: page at the end",
        "branched": "branched: page at the end",
        "API, linear": "API, linear: newest page",
        "API, branched": "API, branched: newest page",
    }
    rows = []
    for name, times in samples.items():
        base = statistics.median(samples[baselines[name.split(":")[0]]])
        median = statistics.median(times)
        ratio = median / base
        verdict = "" if "end" in name or "newest" in name else ("ok" if ratio <= TARGET else "OVER")
        rows.append([name, f"{median:.1f}", f"{percentile(times, 95):.1f}", f"{ratio:.2f}x", verdict])
    print_table(
        f"Landing: server time, {LENGTH:,}-utterance sessions, {ROUNDS} requests each, in turns (ms)",
        ["request", "median", "p95", "vs its end", f"<= {TARGET}x"],
        rows,
    )


if __name__ == "__main__":
    main()

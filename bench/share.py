"""Shared links benchmark (issue 34): a shared chat of LENGTH messages (BENCH_SHARE_LENGTH, default
1,000) opened by an anonymous visitor, beside its owner opening the same chat's page, in the same
run, requests in turns; then CONCURRENCY viewers (BENCH_SHARE_VIEWERS, default 100) of the one link
through `make serve`'s topology (nginx, gunicorn, Daphne: tests.servers.start_topology): threads
released together, each opening the link VISITS times in a row and waiting up to TIMEOUT for each
answer; every answer counted (none left in flight, as a timed load generator would leave them).

Server time: Django's whole handling of the request (the test client in process: middleware, the
view, its queries, the template). The shared page keeps its rendered messages in the cache
(docs/sharing.md), rendered there after the commit that takes a snapshot (sharing/rendering.py):
"first view after a new snapshot" updates the link before it, "uncached" deletes the fragment
before it (the cache lost it), "cached" leaves it. Targets: each shared median within 1.5x of the owner's chat page;
every viewer's every visit answered 200.
"""

import os
import shutil
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.harness import copy_chats, percentile, print_table, setup_django

LENGTH = int(os.environ.get("BENCH_SHARE_LENGTH", "1000"))
ROUNDS = int(os.environ.get("BENCH_SHARE_ROUNDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_SHARE_VIEWERS", "100"))
VISITS = int(os.environ.get("BENCH_SHARE_VISITS", "3"))
TIMEOUT = 30
TARGET = 1.5


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key
    from django.test import Client, override_settings

    from accounts.models import User
    from conversation.models import Persona
    from sharing.services import share_create, share_update

    dsn = os.environ["DATABASE_URL"]
    user = User.objects.create_user(email=f"share-{uuid.uuid4().hex[:8]}@example.com")
    persona = Persona.objects.get(is_default=True)
    print(f"Loading a chat of {LENGTH:,} messages and sharing it ...", flush=True)
    with psycopg.connect(dsn) as raw, raw.cursor() as cur:
        (session_id,) = copy_chats(
            cur,
            user_id=user.pk,
            persona_id=persona.pk,
            sessions=1,
            per_session=LENGTH,
            title=lambda: "shared",
            # Markdown in the assistant's messages: the shared page renders it, as the chat page does.
            text=lambda seq: (
                f"message {seq}: **some** words, `code` and a [link](https://example.com/{seq}) " + "words " * 20
            ),
            moment=lambda n: datetime.now(tz=UTC),
        )
        raw.commit()
    share = share_create(user=user, session_id=session_id)
    assert share.message_count == LENGTH, share.message_count

    def fragment() -> str:  # the key of the link's messages as they are now (its updated_at changes)
        share.refresh_from_db(fields=["updated_at"])
        return make_template_fragment_key("shared_messages", [share.pk, share.updated_at.isoformat()])

    owner = Client(HTTP_HOST="localhost")
    owner.force_login(user)
    visitor = Client(HTTP_HOST="localhost")
    plain_static = {  # as bench/landing.py: the hashed names need a collectstatic this run does not make
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        samples = measure(
            owner,
            visitor,
            session_id,
            share.pk,
            forget=lambda: cache.delete(fragment()),
            resnapshot=lambda: share_update(user=user, share_id=share.pk, resnapshot=True),
            fragment=fragment,
            cache=cache,
        )
    report(samples)
    concurrent = viewers(f"/s/{share.pk}/")
    report_viewers(concurrent)


def measure(owner, visitor, session_id, share_id, *, forget, resnapshot, fragment, cache) -> dict[str, list[float]]:
    chat, shared = f"/c/{session_id}/", f"/s/{share_id}/"
    for who, url in ((owner, chat), (visitor, shared)):  # warm: prepared statements, template cache
        response = who.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert cache.get(fragment()) is not None, "the fragment's key is the template's"
    samples: dict[str, list[float]] = {
        "owner: the chat page": [],
        "shared, first view after a new snapshot": [],
        "shared, uncached (the fragment evicted)": [],
        "shared, cached": [],
    }

    def timed(name, who, url):
        start = time.perf_counter()
        response = who.get(url)
        samples[name].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (name, response.status_code)

    for _ in range(ROUNDS):  # in turns: a box that slows down moves every figure alike
        timed("owner: the chat page", owner, chat)
        resnapshot()  # "update the link": its messages rendered into the cache after the commit
        timed("shared, first view after a new snapshot", visitor, shared)
        forget()
        timed("shared, uncached (the fragment evicted)", visitor, shared)
        timed("shared, cached", visitor, shared)
    return samples


def report(samples: dict[str, list[float]]) -> None:
    base = statistics.median(samples["owner: the chat page"])
    rows = []
    for name, times in samples.items():
        median = statistics.median(times)
        ratio = median / base
        verdict = "" if name.startswith("owner") else ("ok" if ratio <= TARGET else "OVER")
        rows.append([name, f"{median:.1f}", f"{percentile(times, 95):.1f}", f"{ratio:.2f}x", verdict])
    print_table(
        f"Shared chat of {LENGTH:,} messages: server time, {ROUNDS} requests each, in turns (ms)",
        ["request", "median", "p95", "vs the owner's page", f"<= {TARGET}x"],
        rows,
    )


def viewers(path: str) -> dict:
    """CONCURRENCY viewers at once (threads released together by a barrier), each opening the link
    VISITS times in a row through the topology, each waiting up to TIMEOUT: every answer counted,
    its status or its failure (refused, reset, timed out), none left in flight."""
    from tests.servers import start_topology, stop_topology

    log = Path(tempfile.mkdtemp(prefix="bench-share-")) / "serve.log"
    env = {"LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "ERROR")}
    process, servers = start_topology(env=env, log=log)
    try:
        url = servers["url"] + path
        assert visit(url)[0] == 200, "the link through the topology answers"
        barrier = threading.Barrier(CONCURRENCY)

        def viewer() -> list[tuple[int | str, float]]:
            barrier.wait()
            return [visit(url) for _ in range(VISITS)]

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            answers = [answer for visits in pool.map(lambda _: viewer(), range(CONCURRENCY)) for answer in visits]
        elapsed = time.perf_counter() - start
    finally:
        stop_topology(process, servers)
    shutil.rmtree(log.parent)
    outcomes = Counter(outcome for outcome, _ in answers)
    times = [ms for _, ms in answers]
    return {
        "total": len(answers),
        "outcomes": outcomes,
        "elapsed": elapsed,
        "p50": percentile(times, 50),
        "p99": percentile(times, 99),
        "max": max(times),
    }


def visit(url: str) -> tuple[int | str, float]:
    """(the status, or the failure's name; ms) of one GET, its body read to the end."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 (our own http:// URL)
            response.read()
            outcome = response.status
    except urllib.error.HTTPError as error:
        outcome = error.code
    except OSError as error:
        outcome = type(error).__name__
    return outcome, (time.perf_counter() - start) * 1000


def report_viewers(figures: dict) -> None:
    ok = figures["outcomes"].get(200, 0)
    other = {str(k): n for k, n in figures["outcomes"].items() if k != 200}
    print_table(
        f"{CONCURRENCY} concurrent viewers of one link, {VISITS} visits each, through `make serve`"
        " (nginx, gunicorn, Daphne)",
        ["answers", "200", "anything else", "p50 ms", "p99 ms", "slowest ms", "answers/s", "0 errors"],
        [
            [
                f"{figures['total']:,}",
                f"{ok:,}",
                ", ".join(f"{k}: {n}" for k, n in sorted(other.items())) or "none",
                f"{figures['p50']:.0f}",
                f"{figures['p99']:.0f}",
                f"{figures['max']:.0f}",
                f"{figures['total'] / figures['elapsed']:,.0f}",
                "ok" if not other and ok == CONCURRENCY * VISITS else "FAILED",
            ]
        ],
    )


if __name__ == "__main__":
    main()

"""PostgreSQL restarted under load: no request fails once the server accepts connections again.

A Daphne process on a PostgreSQL of the run's own takes 16 concurrent API connections (each in a
loop: read a session, append to it) while PostgreSQL goes away 5 times, for outages of
BENCH_RESTART_OUTAGES seconds (default 0,2,5,10,20; 0 is `pg_ctl restart`). Beside it, the raw
baseline in the same run: psycopg_pool as Django builds it (min 2, max 20, timeout 10 s, checked
before lending, psycopg_pool's own reconnection), 16 threads each taking a connection for a
`SELECT 1`. BENCH_BASELINE_TREE=<a checkout of an earlier commit> adds that code's Daphne too.

Each request is counted as during an outage (sent between the stop and the moment the server accepts
connections again, or still under way at the stop: these may fail, with 503 for the API), or after
the return (sent after it and done before the next stop: target 0 failed; the failures are listed).
For each restart, the time from the server's return to the first success of each target.
"""

import logging
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import ROOT, percentile, print_table

OUTAGES = [float(s) for s in os.environ.get("BENCH_RESTART_OUTAGES", "0,2,5,10,20").split(",")]
CONNECTIONS = 16
STEADY_SECONDS = 5.0  # of plain load before the first outage, between two and after the last


@dataclass
class Request:
    sent: float
    ended: float
    ok: bool
    what: str


@dataclass
class Target:
    name: str
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sent: float, ok: bool, what: str) -> None:
        with self.lock:
            self.requests.append(Request(sent, time.monotonic(), ok, what))


def api_loop(base: str, token: str, session_id: str, n: int, target: Target, stop: threading.Event) -> None:
    import httpx

    with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=60) as client:
        count = 0
        while not stop.is_set():
            count += 1
            sent = time.monotonic()
            try:
                if count % 2:
                    response = client.get(f"/api/sessions/{session_id}/")
                else:
                    body = {"role": "user", "text": "still here", "client_id": f"c{n}-{count}"}
                    response = client.post(f"/api/sessions/{session_id}/utterances/", json=body)
                target.record(sent, response.status_code in (200, 201), str(response.status_code))
            except httpx.HTTPError as exc:
                target.record(sent, False, type(exc).__name__)


def pool_loop(pool, target: Target, stop: threading.Event) -> None:
    while not stop.is_set():
        sent = time.monotonic()
        try:
            with pool.connection() as conn:
                conn.execute("SELECT 1").fetchone()
            target.record(sent, True, "ok")
        except Exception as exc:  # every failure is the figure
            target.record(sent, False, type(exc).__name__)
            time.sleep(0.05)  # some failures are immediate: no busy loop


def overlaps_an_outage(request: Request, outages: list[tuple[float, float]]) -> bool:
    """Sent during an outage, or still under way when one began."""
    return any(request.sent < up and request.ended > down for down, up in outages)


def figures(target: Target, outages: list[tuple[float, float]]) -> list[str]:
    during = [r for r in target.requests if overlaps_an_outage(r, outages)]
    after = [r for r in target.requests if not overlaps_an_outage(r, outages) and r.sent >= outages[0][1]]
    failed_during = [r for r in during if not r.ok]
    failed_after = [r for r in after if not r.ok]
    first_success = []
    for _, up in outages:
        ends = [r.ended for r in target.requests if r.ok and r.sent >= up - 30 and r.ended >= up]
        first_success.append(f"{min(ends) - up:.2f}" if ends else "never")
    kinds = sorted({r.what for r in failed_after})
    return [
        target.name,
        f"{len(during):,}",
        f"{len(failed_during):,}"
        + (f" ({statistics.median(r.ended - r.sent for r in failed_during):.1f} s)" if failed_during else ""),
        f"{len(after):,}",
        f"{len(failed_after):,}" + (f" ({', '.join(kinds)})" if kinds else ""),
        f"{percentile([(r.ended - r.sent) * 1000 for r in after], 99):.0f}" if after else "-",
        " / ".join(first_success),
    ]


def main() -> None:
    from psycopg_pool import ConnectionPool

    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)  # the raw pool's every failed attempt

    from tests.servers import PostgresServer, start_daphne, stop_process

    workdir = Path(tempfile.mkdtemp(prefix="restarts-"))
    postgres = PostgresServer()
    processes, pool = [], None
    try:
        postgres.create()
        os.environ["DATABASE_URL"] = postgres.url
        from bench.harness import setup_django

        setup_django()
        from django.db import connections

        from accounts.models import User
        from accounts.services import device_token_create
        from conversation.sessions.create import session_create

        user = User.objects.create_user(email="restarts@example.com")
        token = device_token_create(user=user, name="bench")[1]
        session_ids = [str(session_create(user=user).pk) for _ in range(CONNECTIONS)]
        connections.close_all()

        lifted = {"THROTTLE_API_READ": "100000000/min", "THROTTLE_API_WRITE": "100000000/min"}
        env = {"DATABASE_URL": postgres.url, **lifted}
        servers = [("this tree's Daphne", ROOT)]
        if baseline_tree := os.environ.get("BENCH_BASELINE_TREE"):
            servers.append((f"Daphne of {baseline_tree}", Path(baseline_tree)))
        targets, loops = [], []
        for n, (name, tree) in enumerate(servers):
            process, url = start_daphne(env=env, log=workdir / f"daphne-{n}.log", tree=tree)
            processes.append(process)
            target = Target(name)
            targets.append(target)
            loops += [(api_loop, (url, token, session_ids[i], i, target)) for i in range(CONNECTIONS)]
        db = connections["default"].settings_dict
        pool = ConnectionPool(
            kwargs={"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"]},
            min_size=2,
            max_size=20,
            timeout=10,
            check=ConnectionPool.check_connection,
            open=True,
        )
        raw = Target("raw psycopg_pool (as Django builds it)")
        targets.append(raw)
        loops += [(pool_loop, (pool, raw)) for _ in range(CONNECTIONS)]

        outages = run(loops, postgres)
        for target in targets:
            failed_after = [r for r in target.requests if not r.ok and not overlaps_an_outage(r, outages)]
            for request in sorted(failed_after, key=lambda r: r.sent):
                since = [request.sent - up for down, up in outages if request.sent >= down]
                place = f"{since[-1]:+.2f} s from return {len(since)}" if since else "before any outage"
                print(f"  {target.name}: {request.what} sent {place}, took {request.ended - request.sent:.2f} s")
        print_table(
            f"PostgreSQL away {len(OUTAGES)} times (outages of {', '.join(f'{s:g}' for s in OUTAGES)} s) under "
            f"{CONNECTIONS} concurrent connections per target",
            [
                "target",
                "sent during outages",
                "failed (median time to fail)",
                "sent after the return",
                "failed after the return (target 0)",
                "p99 ms after",
                "s from each return to the first success",
            ],
            [figures(target, outages) for target in targets],
        )
    finally:
        if pool is not None:
            pool.close(timeout=1)
        for process in processes:
            stop_process(process)
        postgres.destroy()
        print(f"(server logs in {workdir})")


def run(loops: list[tuple[Callable, tuple]], postgres) -> list[tuple[float, float]]:
    """The loops under the outages; [(went away, accepts connections again)]."""
    stop = threading.Event()
    threads = [threading.Thread(target=fn, args=(*args, stop), daemon=True) for fn, args in loops]
    for thread in threads:
        thread.start()
    outages = []
    try:
        for outage in OUTAGES:
            time.sleep(STEADY_SECONDS)
            down = time.monotonic()
            if outage:
                postgres.stop()
                time.sleep(max(0.0, down + outage - time.monotonic()))
                postgres.start()
            else:
                postgres.restart()
            outages.append((down, time.monotonic()))
            print(f"  PostgreSQL back after {outages[-1][1] - down:.1f} s", flush=True)
        time.sleep(STEADY_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)
    return outages


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

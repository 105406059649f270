"""The production topology against one Daphne process, on the same database in the same run.

`make serve`'s topology (nginx in front of gunicorn with HTTP_WORKERS processes, default one per
core, and two Daphne processes) beside a single Daphne serving everything (`make run`'s shape):
the trivial view, a list of 50 sessions, a history page of 50 and an append, at 1 and 16
connections (wrk; throttles lifted; only 2xx answers counted); then chat replies/s over sockets at
100 clients, and per Daphne process. Targets (issue 16): trivial view through the topology >= 8x the
single Daphne; list and history >= 4x the single Daphne at 16 connections and >= 25% of the
topology's trivial view; socket replies/s per Daphne process >= 2x the main of before.

BENCH_BASELINE_TREE=<a checkout of an earlier commit> adds that code's single Daphne to the socket
figures, on the same database in the same run (`git worktree add /tmp/before <commit>`).

Socket runs also read the Daphne processes' CPU time (/proc) and print what a reply cost them. On a
machine whose few cores the load generator, PostgreSQL, Redis and nginx share with the Daphne
processes, replies/s per process says how the cores were shared as much as what a process can do;
the CPU per reply is the cost itself, and 1000 / it the replies/s a Daphne process with a core of its
own would give.
"""

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from bench.api import api_data, api_requests, ensure_wrk, run_wrk
from bench.harness import cpu_seconds, daphne_process, print_table, setup_django
from bench.ws import chat_run, make_clients

SOCKET_CLIENTS = int(os.environ.get("BENCH_SERVE_CLIENTS", "100"))
WS_WORKERS = 2
DAPHNE = "chatproject.daphne"  # in the command line of every Daphne process the benchmark starts
# Throttles lifted, and the offline model answering without pauses: the servers' own cost is measured.
LIFTED = {
    "THROTTLE_API_READ": "100000000/min",
    "THROTTLE_API_WRITE": "100000000/min",
    "THROTTLE_API_REPLY": "100000000/min",
    "WS_MAX_MESSAGES_PER_MINUTE": "100000",
    "ASSISTANT_OFFLINE_DELAY_SECONDS": "0",
}


def socket_run(url: str, clients: list, *, root: int) -> dict:
    """chat_run's figures, and "cpu_ms": the CPU of the Daphne processes among `root` and its
    descendants over the run, per reply."""
    before = cpu_seconds(root, command=DAPHNE)
    figures = asyncio.run(chat_run(url, clients, SOCKET_CLIENTS))
    figures["cpu_ms"] = (cpu_seconds(root, command=DAPHNE) - before) * 1000 / max(figures["replies"], 1)
    return figures


def measure_http(wrk: str, base: str, data) -> dict[tuple[str, int], dict]:
    figures = {}
    for connections in (1, 16):
        figures[("trivial view (/health/)", connections)] = run_wrk(
            wrk, f"{base}/health/", connections=connections, token=None
        )
        for label, url, script in api_requests(base, data):
            figures[(label, connections)] = run_wrk(wrk, url, connections=connections, token=data.token, script=script)
    return figures


def main() -> None:
    setup_django()
    from tests.servers import start_topology, stop_topology

    wrk = ensure_wrk()
    data = api_data()
    clients = make_clients(SOCKET_CLIENTS)

    baseline_tree = os.environ.get("BENCH_BASELINE_TREE")
    baseline_ws = None
    if baseline_tree:
        with daphne_process("chatproject.asgi:application", tree=Path(baseline_tree), **LIFTED) as (host, pid):
            baseline_ws = socket_run(f"ws://{host}", clients, root=pid)

    with daphne_process("chatproject.asgi:application", **LIFTED) as (host, pid):
        single = measure_http(wrk, f"http://{host}", data)
        single_ws = socket_run(f"ws://{host}", clients, root=pid)

    log = Path(tempfile.mkdtemp(prefix="bench-serve-")) / "serve.log"
    env = {**LIFTED, "WS_WORKERS": str(WS_WORKERS), "LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "ERROR")}
    process, servers = start_topology(env=env, log=log)
    try:
        topology = measure_http(wrk, servers["url"], data)
        topology_ws = socket_run(servers["url"].replace("http://", "ws://"), clients, root=process.pid)
    finally:
        stop_topology(process, servers)
    shutil.rmtree(log.parent)  # kept when the run failed, for what the servers said
    os.unlink(data.append_script)

    rows = []
    for (label, connections), ours in topology.items():
        one = single[(label, connections)]
        trivial = topology[("trivial view (/health/)", connections)]
        rows.append(
            [
                f"{label}, {connections} conn",
                f"{one['rate']:,.0f}",
                f"{ours['rate']:,.0f}",
                f"{ours['rate'] / one['rate']:.1f}x",
                f"{ours['rate'] / trivial['rate']:.2f}",
                f"{one['p50']:.2f} / {ours['p50']:.2f}",
                f"{one['errors']} / {ours['errors']}",
            ]
        )
    rows.append(
        [
            f"socket replies, {SOCKET_CLIENTS} clients",
            f"{single_ws['rate']:,.0f}",
            f"{topology_ws['rate']:,.0f} ({topology_ws['rate'] / WS_WORKERS:,.0f} per Daphne)",
            f"{topology_ws['rate'] / single_ws['rate']:.1f}x",
            "",
            f"{single_ws['p50']:.0f} / {topology_ws['p50']:.0f} (first delta)",
            f"{single_ws['timeouts']} / {topology_ws['timeouts']} timeouts",
        ]
    )
    if baseline_ws is not None:
        rows.append(
            [
                f"socket replies, {SOCKET_CLIENTS} clients, one Daphne of {baseline_tree}",
                f"{baseline_ws['rate']:,.0f}",
                "",
                f"per Daphne now: {topology_ws['rate'] / WS_WORKERS / baseline_ws['rate']:.1f}x, "
                f"one now: {single_ws['rate'] / baseline_ws['rate']:.1f}x",
                "",
                f"{baseline_ws['p50']:.0f} (first delta)",
                f"{baseline_ws['timeouts']} timeouts",
            ]
        )
    print_table(
        f"Production topology (nginx, gunicorn x {os.cpu_count()}, Daphne x {WS_WORKERS}) vs one Daphne process",
        ["request", "one Daphne /s", "topology /s", "topology / one", "vs topology trivial", "p50 ms", "non-2xx"],
        rows,
    )
    costs = [("one Daphne", single_ws), (f"topology's {WS_WORKERS} Daphnes", topology_ws)]
    if baseline_ws is not None:
        costs.insert(0, (f"one Daphne of {baseline_tree}", baseline_ws))
    print_table(
        f"Daphne CPU per socket reply ({SOCKET_CLIENTS} clients)",
        ["Daphne", "CPU ms per reply", "replies per Daphne CPU-second", "vs the baseline"],
        [
            [
                label,
                f"{figures['cpu_ms']:.1f}",
                f"{1000 / figures['cpu_ms']:,.0f}",
                f"{baseline_ws['cpu_ms'] / figures['cpu_ms']:.1f}x" if baseline_ws is not None else "",
            ]
            for label, figures in costs
        ],
    )

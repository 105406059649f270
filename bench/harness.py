"""What every benchmark needs: Django on the throwaway database, timing, and the results table."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import django


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Benchmarks run on PostgreSQL: use `make bench`, which starts throwaway servers.")
    # Production settings (the Daphne processes the benchmarks start inherit them).
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


_PEAK_RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def command_peak_rss(args: list[str]) -> tuple[str, float]:
    """Run `python <args>` to its end; (what it printed, its peak RSS in MB).

    Linux carries the peak RSS of the process image an exec replaces into ru_maxrss, so a command
    spawned straight from this (large) process would report at least our own size. A small
    launcher forks and execs it instead; the figure is then the command's own.
    """
    process = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS_LAUNCHER, sys.executable, *args], capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {process.stderr[-2000:]}")
    said, _, peak_kb = process.stdout.strip().rpartition("\n")
    return said, int(peak_kb) / 1024


def rate(fn: Callable[[], object], *, seconds: float = 2.0) -> float:
    """Calls per second of fn over about `seconds`."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        fn()
        count += 1
    return count / elapsed


def latency_ms(fn: Callable[[], object], *, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median_of_3(measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(3))


def paired_median_of_3(ours: Callable[[], float], raw: Callable[[], float]) -> tuple[float, float]:
    """Medians of 3 of each, measured in turns (ours, raw, ours, ...): a machine that speeds up or
    slows down during the run moves both figures, not their ratio."""
    samples = [(ours(), raw()) for _ in range(3)]
    return statistics.median(o for o, _ in samples), statistics.median(r for _, r in samples)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(f"\n## {title}\n")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
    print(flush=True)


ROOT = Path(__file__).resolve().parent.parent


def login_session_key(user) -> str:
    """A log-in session of `user`, as django.contrib.auth.login() stores it; its key is the
    browser's session cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"  # the backend that checks passwords
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@contextmanager
def daphne_process(application: str, tree: Path | None = None, **env: str):
    """A Daphne process serving `application` on a free loopback port; yields (host:port, its pid).
    `tree`: serve another checkout of the project (a baseline measured in the same run)."""
    from tests.servers import start_daphne, stop_process

    log = Path(tempfile.mkdtemp(prefix="bench-daphne-")) / "daphne.log"
    level = {"LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG_LEVEL", "ERROR")}
    process, url = start_daphne(env={**level, **env}, log=log, application=application, tree=tree or ROOT)
    try:
        yield url.removeprefix("http://"), process.pid
    finally:
        stop_process(process)
    shutil.rmtree(log.parent)  # kept when the run failed, for what the server said


@contextmanager
def daphne(application: str, tree: Path | None = None, **env: str):
    """daphne_process(), yielding its host:port only."""
    with daphne_process(application, tree, **env) as (host, _):
        yield host


def cpu_seconds(root: int, *, command: str) -> float:
    """CPU seconds (user and system, all threads) used so far by the processes whose command line
    holds `command` among `root` and its descendants (Linux /proc)."""
    parents, used = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command_line = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # from the state on: the name may hold spaces
        parents[int(entry)] = int(fields[1])
        if command in command_line:
            used[int(entry)] = int(fields[11]) + int(fields[12])

    def descends(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parents.get(pid, 0)
        return False

    return sum(ticks for pid, ticks in used.items() if descends(pid)) / os.sysconf("SC_CLK_TCK")


def copy_chats(
    cur,
    *,
    user_id: int,
    persona_id: int,
    sessions: int,
    per_session: int,
    title: Callable[[], str],
    text: Callable[[int], str],
    moment: Callable[[int], datetime],
) -> list[uuid.UUID]:
    """Bulk-load chats with COPY: `sessions` of `per_session` utterances alternating user and
    assistant, counters consistent. title() names a session, text(seq) fills an utterance and
    moment(n) is the n-th session's creation and last activity."""
    ids = [uuid.uuid4() for _ in range(sessions)]
    users = (per_session + 1) // 2
    with cur.copy(
        "COPY conversation_session (id, user_id, title, persona_id, metadata, created_at, last_activity_at,"
        " message_count, user_message_count, assistant_message_count, system_message_count, last_seq,"
        " context_epoch, head_seq) FROM STDIN"
    ) as copy:
        for n, sid in enumerate(ids):
            at = moment(n)
            row = (sid, user_id, title(), persona_id, "{}", at, at, per_session, users, per_session - users, 0)
            copy.write_row((*row, per_session, 0, per_session))
    with cur.copy(
        "COPY conversation_utterance (session_id, user_id, seq, parent_seq, role, text, is_final, created_at, metadata)"
        " FROM STDIN"
    ) as copy:
        for n, sid in enumerate(ids):
            at = moment(n)
            for seq in range(1, per_session + 1):
                role = "user" if seq % 2 else "assistant"
                copy.write_row((sid, user_id, seq, seq - 1 or None, role, text(seq), True, at, "{}"))
    return ids

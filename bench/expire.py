"""Expiry benchmark: `expire_sessions` beside the raw set-based DELETE of the same rows, same run.

Time: 1,000 sessions with 100,000 utterances, median of 3 (the data is loaded again before each
run). Memory: peak RSS of the command in its own process while it expires 1,000,000 utterances.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import psycopg

from bench.harness import copy_chats, paired_median_of_3, print_table, setup_django

OLD = datetime.now(UTC) - timedelta(days=400)

PEAK_RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def load_old(dsn: str, *, user_id: int, persona_id: int, sessions: int, per_session: int) -> None:
    with psycopg.connect(dsn) as raw, raw.cursor() as cur:
        copy_chats(
            cur,
            user_id=user_id,
            persona_id=persona_id,
            sessions=sessions,
            per_session=per_session,
            title=lambda: "old",
            text=lambda seq: f"an old message number {seq}",
            moment=lambda _n: OLD,
        )
        raw.commit()
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute("ANALYZE conversation_session")
        raw.execute("ANALYZE conversation_utterance")


def main() -> None:
    setup_django()
    from django.core.management import call_command

    from accounts.models import User
    from conversation.models import Persona

    dsn = os.environ["DATABASE_URL"]
    user = User.objects.create_user(email=f"expire-{uuid.uuid4().hex[:8]}@example.com")
    persona = Persona.objects.get(is_default=True)

    def ours() -> float:
        load_old(dsn, user_id=user.pk, persona_id=persona.pk, sessions=1000, per_session=100)
        start = time.perf_counter()
        call_command("expire_sessions", "--inactive-days", "300", "--user", user.email, stdout=StringIO())
        return time.perf_counter() - start

    def raw() -> float:
        load_old(dsn, user_id=user.pk, persona_id=persona.pk, sessions=1000, per_session=100)
        with psycopg.connect(dsn) as conn:
            start = time.perf_counter()
            conn.execute(
                "DELETE FROM conversation_utterance WHERE session_id IN (SELECT id FROM conversation_session"
                " WHERE user_id = %s AND last_activity_at < now() - interval '300 days')",
                (user.pk,),
            )
            conn.execute(
                "DELETE FROM conversation_session"
                " WHERE user_id = %s AND last_activity_at < now() - interval '300 days'",
                (user.pk,),
            )
            conn.commit()
            return time.perf_counter() - start

    ours_s, raw_s = paired_median_of_3(ours, raw)

    def peak_rss_mb() -> float:
        # Linux carries the peak RSS of the process image an exec replaces into ru_maxrss, so a
        # command spawned straight from this (large) process would report at least our own size.
        # A small launcher forks and execs it instead; the figure is then the command's own.
        process = subprocess.run(
            [
                sys.executable,
                "-c",
                PEAK_RSS_LAUNCHER,
                sys.executable,
                "manage.py",
                "expire_sessions",
                "--inactive-days",
                "300",
                "--user",
                user.email,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        said, peak_kb = process.stdout.strip().rsplit("\n", 1)
        print(f"command said: {said}")
        return int(peak_kb) / 1024

    idle_mb = peak_rss_mb()  # nothing to expire: the process's own size
    load_old(dsn, user_id=user.pk, persona_id=persona.pk, sessions=1_000, per_session=100)
    small_mb = peak_rss_mb()
    load_old(dsn, user_id=user.pk, persona_id=persona.pk, sessions=10_000, per_session=100)
    peak_mb = peak_rss_mb()

    print_table(
        "Expiry benchmark (PostgreSQL, production settings)",
        ["operation", "ours", "raw", "ours/raw", "target", "met"],
        [
            [
                "expire 1,000 sessions / 100,000 utterances",
                f"{ours_s * 1000:,.0f} ms",
                f"{raw_s * 1000:,.0f} ms",
                f"{ours_s / raw_s:.2f}",
                "<= 2x raw",
                "yes" if ours_s <= 2 * raw_s else "NO",
            ],
            [
                "peak RSS of the command expiring 1,000,000 utterances",
                f"{peak_mb:,.1f} MB",
                f"100,000: {small_mb:,.1f} MB; nothing: {idle_mb:,.1f} MB",
                "",
                "< 100 MB",
                "yes" if peak_mb < 100 else "NO",
            ],
        ],
    )

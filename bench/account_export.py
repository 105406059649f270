"""Account export benchmark: the whole-account export job, run by a real worker process
(`manage.py db_worker --batch`), beside a raw baseline in the same run.

The data (issue 17): one account of 10,000 sessions of 100 utterances, 1,000,000 in all; then a
tenth of it, to show that the worker's memory does not grow with the account. The raw baseline
reads the same utterances with one server-side cursor and writes one JSON file per session into a
zip: the least any export of these rows can do. Figures: wall time of the worker process (its
start-up of about a second included) and its peak RSS.
"""

import json
import os
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime

import psycopg

from bench.harness import command_peak_rss, copy_chats, print_table, setup_django

PER_SESSION = 100


def load(dsn: str, *, user_id: int, persona_id: int, sessions: int) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(dsn) as raw, raw.cursor() as cur:
        copy_chats(
            cur,
            user_id=user_id,
            persona_id=persona_id,
            sessions=sessions,
            per_session=PER_SESSION,
            title=lambda: "An exported chat",
            text=lambda seq: f"message number {seq}, with some words to make it a sentence of ordinary length.",
            moment=lambda _n: now,
        )
        raw.commit()
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute("ANALYZE conversation_session")
        raw.execute("ANALYZE conversation_utterance")


def raw_export(dsn: str, *, user_id: int) -> float:
    start = time.perf_counter()
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor(name="export") as cur,
        tempfile.TemporaryFile() as out,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        cur.itersize = 2000
        cur.execute(
            "SELECT u.session_id, u.seq, u.role, u.text, u.created_at FROM conversation_utterance u"
            " JOIN conversation_session s ON s.id = u.session_id WHERE s.user_id = %s AND u.is_final"
            " ORDER BY u.session_id, u.seq",
            (user_id,),
        )
        current, rows = None, []
        for session_id, seq, role, text, created_at in cur:
            if session_id != current and rows:
                archive.writestr(f"{current}.json", json.dumps(rows))
                rows = []
            current = session_id
            rows.append({"seq": seq, "role": role, "text": text, "created_at": created_at.isoformat()})
        if rows:
            archive.writestr(f"{current}.json", json.dumps(rows))
    return time.perf_counter() - start


def ours(*, user) -> tuple[float, float, str]:
    """Start the export through the service, run one worker until the queue is empty; (seconds of
    the job, peak RSS in MB, what the export's row says)."""
    from account_data import services
    from accounts.models import AccountExport

    export = services.account_export_start(user=user)
    start = time.perf_counter()
    _, peak_mb = command_peak_rss(
        [
            "manage.py",
            "db_worker",
            "--batch",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--verbosity",
            "0",
        ]
    )
    seconds = time.perf_counter() - start
    export = AccountExport.objects.get(pk=export.pk)
    assert export.status == AccountExport.Status.DONE, (export.status, export.error)
    said = f"{export.sessions_done:,} sessions, {export.utterances_done:,} utterances, {export.size / 1e6:,.0f} MB zip"
    return seconds, peak_mb, said


def main() -> None:
    setup_django()
    from accounts.models import User
    from conversation.models import Persona

    dsn = os.environ["DATABASE_URL"]
    persona = Persona.objects.get(is_default=True)
    figures = {}
    for sessions in (1_000, 10_000):
        user = User.objects.create_user(email=f"export-{uuid.uuid4().hex[:8]}@example.com")
        load(dsn, user_id=user.pk, persona_id=persona.pk, sessions=sessions)
        seconds, peak_mb, said = ours(user=user)
        raw_s = raw_export(dsn, user_id=user.pk)
        print(f"{sessions:,} sessions: {said}")
        figures[sessions] = (seconds, peak_mb, raw_s)

    (small_s, small_mb, small_raw), (big_s, big_mb, big_raw) = figures[1_000], figures[10_000]
    print_table(
        "Account export benchmark (PostgreSQL, production settings, one worker process)",
        ["account", "ours", "raw", "ours/raw", "worker peak RSS", "target"],
        [
            [
                "1,000 sessions / 100,000 utterances",
                f"{small_s:,.1f} s",
                f"{small_raw:,.1f} s",
                f"{small_s / small_raw:.2f}",
                f"{small_mb:,.1f} MB",
                "",
            ],
            [
                "10,000 sessions / 1,000,000 utterances",
                f"{big_s:,.1f} s",
                f"{big_raw:,.1f} s",
                f"{big_s / big_raw:.2f}",
                f"{big_mb:,.1f} MB",
                "memory flat: " + ("yes" if big_mb < small_mb * 1.1 else "NO"),
            ],
        ],
    )

"""Expiry benchmark: `expire_sessions` beside the raw set-based statements doing the same, same run.

The data (issue 17): 10,000 sessions of 100 utterances, 1,000,000 in all, of one owner whose
retention is 30 days: half of them idle for 400 days (due for the trash), a quarter in the trash
for 60 days (due for removal for good), a quarter active today (left alone). Time: the whole
command beside the raw statements that move, audit and remove the same rows in one transaction
each, median of 3 paired runs (the data is loaded again before each). Memory: peak RSS of the
command in its own process, on a tenth of the data, then on all of it (flat in data size).
"""

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import psycopg

from bench.harness import command_peak_rss, copy_chats, paired_median_of_3, print_table, setup_django

SESSIONS, PER_SESSION = 10_000, 100


# The raw job: what expire_sessions does for one owner, as plain statements.
RAW_RETIRE = """
WITH moved AS (
    UPDATE conversation_session s SET deleted_at = now()
    FROM accounts_user u
    WHERE s.user_id = u.id AND u.id = %(user)s AND s.deleted_at IS NULL AND s.pinned_at IS NULL
      AND s.last_activity_at < now() - make_interval(days => u.retention_days)
    RETURNING s.id, s.user_id
)
INSERT INTO conversation_sessionaudit (action, cause, actor_id, owner_id, session_id, utterance_count, created_at)
SELECT 'trash', 'expiry', NULL, moved.user_id, moved.id,
       (SELECT count(*) FROM conversation_utterance WHERE session_id = moved.id), now()
FROM moved
"""
RAW_PURGE = [
    """
    CREATE TEMP TABLE due ON COMMIT DROP AS
    SELECT id, user_id FROM conversation_session
    WHERE user_id = %(user)s AND deleted_at < now() - interval '30 days'
    """,
    """
    INSERT INTO conversation_sessionaudit (action, cause, actor_id, owner_id, session_id, utterance_count, created_at)
    SELECT 'purge', 'expiry', NULL, due.user_id, due.id,
           (SELECT count(*) FROM conversation_utterance WHERE session_id = due.id), now()
    FROM due
    """,
    "DELETE FROM conversation_utterance WHERE session_id IN (SELECT id FROM due)",
    "DELETE FROM conversation_session WHERE id IN (SELECT id FROM due)",
]


def load(dsn: str, *, user_id: int, persona_id: int, sessions: int) -> None:
    """The owner's sessions replaced by `sessions`: half idle, a quarter in the trash, a quarter active."""
    now = datetime.now(UTC)
    idle, active = now - timedelta(days=400), now

    def moment(n: int) -> datetime:
        return active if n >= sessions * 3 // 4 else idle

    with psycopg.connect(dsn) as raw, raw.cursor() as cur:
        cur.execute(
            "DELETE FROM conversation_utterance WHERE session_id IN"
            " (SELECT id FROM conversation_session WHERE user_id = %s)",
            (user_id,),
        )
        cur.execute("DELETE FROM conversation_session WHERE user_id = %s", (user_id,))
        ids = copy_chats(
            cur,
            user_id=user_id,
            persona_id=persona_id,
            sessions=sessions,
            per_session=PER_SESSION,
            title=lambda: "old",
            text=lambda seq: f"an old message number {seq}",
            moment=moment,
        )
        trashed = ids[sessions // 2 : sessions * 3 // 4]
        cur.execute(
            "UPDATE conversation_session SET deleted_at = %s WHERE id = ANY(%s)",
            (now - timedelta(days=60), trashed),
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
    user = User.objects.create_user(email=f"expire-{uuid.uuid4().hex[:8]}@example.com", retention_days=30)
    persona = Persona.objects.get(is_default=True)
    args = ["--user", user.email, "--trash-days", "30"]

    def ours() -> float:
        load(dsn, user_id=user.pk, persona_id=persona.pk, sessions=SESSIONS)
        start = time.perf_counter()
        call_command("expire_sessions", *args, stdout=StringIO())
        return time.perf_counter() - start

    def raw() -> float:
        load(dsn, user_id=user.pk, persona_id=persona.pk, sessions=SESSIONS)
        with psycopg.connect(dsn) as conn:
            start = time.perf_counter()
            conn.execute(RAW_RETIRE, {"user": user.pk})
            conn.commit()
            for statement in RAW_PURGE:
                conn.execute(statement, {"user": user.pk})
            conn.commit()
            return time.perf_counter() - start

    ours_s, raw_s = paired_median_of_3(ours, raw)

    def peak_rss_mb() -> float:
        said, peak_mb = command_peak_rss(["manage.py", "expire_sessions", *args])
        print(f"command said: {said.strip()}")
        return peak_mb

    load(dsn, user_id=user.pk, persona_id=persona.pk, sessions=SESSIONS // 10)
    small_mb = peak_rss_mb()
    load(dsn, user_id=user.pk, persona_id=persona.pk, sessions=SESSIONS)
    peak_mb = peak_rss_mb()

    print_table(
        "Expiry benchmark (PostgreSQL, production settings)",
        ["operation", "ours", "raw", "ours/raw", "target", "met"],
        [
            [
                "expire_sessions on 1,000,000 utterances (500,000 to the trash, 250,000 removed)",
                f"{ours_s * 1000:,.0f} ms",
                f"{raw_s * 1000:,.0f} ms",
                f"{ours_s / raw_s:.2f}",
                "<= 2x raw",
                "yes" if ours_s <= 2 * raw_s else "NO",
            ],
            [
                "peak RSS of the command on 1,000,000 utterances",
                f"{peak_mb:,.1f} MB",
                f"on 100,000: {small_mb:,.1f} MB",
                "",
                "< 100 MB, flat",
                "yes" if peak_mb < 100 and peak_mb < small_mb * 1.1 else "NO",
            ],
        ],
    )

"""Message search benchmark (issue 32): GET /api/search/'s selector, message_search_for_user, beside
the same statement run bare through psycopg, in the same run.

Corpus: SEARCH_BENCH_USERS users (200 at full size) of 100 sessions of 100 utterances each: 2,000,000
utterances over 20,000 sessions at full size, and one heavy user (SEARCH_BENCH_HEAVY_SESSIONS of 100,
2,000 by default: 200,000 utterances) for the most frequent word; the per-user volume stays the same at any size, so a
smaller run measures the same per-user search (the GIN index is keyed by user). Text from the
domain bench's Zipf-like vocabulary. The measured user's chats have folders, tags, archived chats
and a second persona so that filters select something.

200 mixed queries (one word, two words, a phrase; a fifth with filters: role, dates, tag, folder,
persona, view, branch), each run once for the measured user: p50 / p95 / p99 server time (the
selector in process, no HTTP), the raw statement beside it. Then the most frequent word, for a user
and for the heavy one, which must answer within SEARCH_TIMEOUT_MS (a partial answer when it cannot
be ranked in time).

A smaller run: `SEARCH_BENCH_USERS=20 scripts/with-services.sh
.venv/bin/python -m bench search` (200,000 utterances).
"""

import os
import random
import statistics
import time
import uuid
from datetime import timedelta

import psycopg

from bench.domain import load, sentence_maker, vocabulary
from bench.harness import percentile, print_table, setup_django

SESSIONS_PER_USER, PER_SESSION = 100, 100


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from conversation.models import Folder, Persona, Session, SessionTag, Tag, Utterance
    from conversation.search.messages import message_search_for_user, resolve_search, statement_and_params

    users = int(os.environ.get("SEARCH_BENCH_USERS", "200"))
    dsn = os.environ["DATABASE_URL"]
    rng = random.Random(32)
    words = vocabulary(rng)
    make = sentence_maker(words, rng)
    persona = Persona.objects.get(is_default=True)
    other_persona = Persona.objects.exclude(pk=persona.pk).first()
    heavy_sessions = int(os.environ.get("SEARCH_BENCH_HEAVY_SESSIONS", "2000"))
    people = [User.objects.create_user(email=f"search-{uuid.uuid4().hex[:8]}@example.com") for _ in range(users)]
    heavy = User.objects.create_user(email=f"search-heavy-{uuid.uuid4().hex[:8]}@example.com")
    total = users * SESSIONS_PER_USER * PER_SESSION + heavy_sessions * PER_SESSION
    print(f"Loading {total:,} utterances, {users} users and one with {heavy_sessions * PER_SESSION:,} ...", flush=True)
    started = time.perf_counter()
    with psycopg.connect(dsn) as raw:
        for person in people:
            load(
                raw,
                user_id=person.pk,
                persona_id=persona.pk,
                sessions=SESSIONS_PER_USER,
                per_session=PER_SESSION,
                make=make,
            )
        if heavy_sessions:
            load(
                raw,
                user_id=heavy.pk,
                persona_id=persona.pk,
                sessions=heavy_sessions,
                per_session=PER_SESSION,
                make=make,
            )
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE conversation_session")
        raw.execute("VACUUM ANALYZE conversation_utterance")
    print(f"Loaded in {time.perf_counter() - started:.0f} s", flush=True)

    me = people[0]
    chats = list(Session.objects.filter(user=me).order_by("pk").values_list("pk", flat=True))
    work = Folder.objects.create(user=me, name="Work")
    deep = Folder.objects.create(user=me, name="Deep", parent=work, depth=2)
    Session.objects.filter(pk__in=chats[:20]).update(folder=work)
    Session.objects.filter(pk__in=chats[20:30]).update(folder=deep)
    Session.objects.filter(pk__in=chats[30:40]).update(persona=other_persona)
    Session.objects.filter(pk__in=chats[90:]).update(archived_at=timezone.now())
    tag = Tag.objects.create(user=me, name="bench")
    SessionTag.objects.bulk_create([SessionTag(session_id=pk, tag=tag) for pk in chats[::3]])
    Session.objects.filter(pk__in=chats[::3]).update(tag_names=["bench"])
    moments = sorted(Utterance.objects.filter(user=me).values_list("created_at", flat=True).distinct())
    middle = timezone.localtime(moments[len(moments) // 2]).date()

    qrng = random.Random(7)
    sentences = list(Utterance.objects.filter(user=me).values_list("text", flat=True)[:500])
    queries: list[tuple[str, dict]] = []
    for _ in range(100):
        queries.append((qrng.choice(words[50:]), {}))
    for _ in range(40):
        queries.append((" ".join(qrng.sample(words[20:2000], 2)), {}))
    for _ in range(20):
        parts = qrng.choice(sentences).split()
        at = qrng.randrange(len(parts) - 1)
        queries.append((f'"{parts[at]} {parts[at + 1]}"', {}))
    filters = [
        ("", {"role": "assistant"}),
        (f" after:{middle.isoformat()}", {}),
        (" tag:bench", {}),
        (" folder:work", {}),
        ("", {"persona": other_persona.slug}),
        ("", {"view": "archived"}),
        ("", {"branch": "active"}),
        (f" before:{(middle + timedelta(days=1)).isoformat()} role:user", {}),
    ]
    for n in range(40):
        suffix, params = filters[n % len(filters)]
        queries.append((qrng.choice(words[20:1000]) + suffix, params))

    def ours(q: str, params: dict) -> float:
        start = time.perf_counter()
        message_search_for_user(user=me, q=q, **params)
        return (time.perf_counter() - start) * 1000

    def bare(q: str, params: dict, raw: psycopg.Connection) -> float:
        search, terms = resolve_search(
            user=me,
            q=q,
            view=params.get("view", "live"),
            branch=params.get("branch", "all"),
            role=params.get("role"),
            persona=params.get("persona"),
            folder=None,
            tags=[],
            date_from=None,
            date_to=None,
            cursor=None,
        )
        if search is None:
            return 0.0
        statement, values = statement_and_params(search, terms=terms, limit=21, ranked=True)
        text = statement.text()
        start = time.perf_counter()
        with psycopg.ClientCursor(raw) as cur:
            cur.execute(text, values)
            cur.fetchall()
        return (time.perf_counter() - start) * 1000

    for q, params in queries[:10]:  # warm the caches and this process's statements
        ours(q, params)
    ours_ms, raw_ms = [], []
    with psycopg.connect(dsn, autocommit=True) as raw:
        for q, params in queries:
            raw_ms.append(bare(q, params, raw))
            ours_ms.append(ours(q, params))
    connection.close()

    def cell(samples):
        return " / ".join(f"{percentile(samples, p):.1f}" for p in (50, 95, 99)) + " ms"

    rows = [
        [
            f"message search, {total:,} utterances, {len(queries)} queries (p50 / p95 / p99)",
            cell(ours_ms),
            cell(raw_ms),
            "p95 <= 100, p99 <= 250 ms",
            "yes" if percentile(ours_ms, 95) <= 100 and percentile(ours_ms, 99) <= 250 else "NO",
        ],
        ["  of which with filters", cell(ours_ms[160:]), cell(raw_ms[160:]), "", ""],
    ]
    limit = settings.SEARCH_TIMEOUT_MS
    cases = [(me, "a user", limit), (heavy, f"the user with {heavy_sessions * PER_SESSION:,}", limit)]
    cases.append((heavy, "the same, SEARCH_TIMEOUT_MS=300", 300))
    for who, label, budget in cases:
        if who is heavy and not heavy_sessions:
            continue
        settings.SEARCH_TIMEOUT_MS = budget
        common, answers = [], []
        for _ in range(5):
            start = time.perf_counter()
            answers.append(message_search_for_user(user=who, q=words[0]))
            common.append((time.perf_counter() - start) * 1000)
        rows.append(
            [
                f"most frequent word {words[0]!r}, {label} (median / max of 5)",
                f"{statistics.median(common):.0f} / {max(common):.0f} ms"
                + (" (partial)" if answers[-1].partial else " (ranked)")
                + f", {len(answers[-1].hits)} hits",
                "",
                f"<= SEARCH_TIMEOUT_MS ({budget} ms) + overhead",
                "yes" if max(common) < budget + 100 else "NO",
            ]
        )
    settings.SEARCH_TIMEOUT_MS = limit
    print_table("Message search benchmark (PostgreSQL)", ["operation", "ours", "raw psycopg", "target", "met"], rows)

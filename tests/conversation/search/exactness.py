"""Search exactness (issue 32): a corpus built through every writer (appends, edits, regenerations,
switches, forks, saves, imports, a clear, archive, trash), and for each query, view and branch the
search's hits, page by page, compared with a brute-force scan of the same rows: every final
utterance of the user in the view matched one by one without the index (PostgreSQL: to_tsvector of
the text, not the indexed column; SQLite: a fresh FTS5 table of the rows), the active branch walked
from the head by parent_seq. Run on PostgreSQL (test_search_exactness.py) and on SQLite (a
subprocess, test_embedded_default_search.py), whose answers are compared."""

import sqlite3
from datetime import UTC, date, datetime

from django.db import connection

from conversation.models import SEARCH_CONFIG, Session, Utterance
from conversation.search import message_search_for_user
from conversation.search.postgres import tsquery_sql
from conversation.search.query import fts5_expression, parse_query
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from conversation.sessions.lists import SESSION_VIEWS
from tests.conversation.preview_walk import run_every_writer, say
from tests.conversation.search.library import file_in, folder, tag

QUERIES = [
    "answer",
    "answers",
    "question",
    "opening",
    "where in june",
    "porto",
    "lisbon",
    "table",
    "hello world",
    '"another answer"',
    "hidden",
    "clear",
    "july",
    "fresh",
    "answer role:assistant",
    "the",
    "rewritten",
]
VIEWS = ("live", "archived", "trash")


def build_corpus(user, outsider) -> None:
    run_every_writer(user)
    kept = session_create(user=user, title="Archived").pk
    say(user, kept, "Another answer, archived in Lisbon")
    session_update(user=user, session_id=kept, archived=True)
    binned = session_create(user=user, title="Binned").pk
    say(user, binned, "Where is the answer to July's question?")
    session_trash(user=user, session_id=binned)
    theirs = session_create(user=outsider).pk
    say(outsider, theirs, "answer question opening where lisbon table hello world another answer hidden")


def searched(user, q: str, view: str, branch: str) -> set[tuple]:
    hits, cursor = [], None
    while True:
        page = message_search_for_user(user=user, q=q, view=view, branch=branch, cursor=cursor, limit=4)
        hits += page.hits
        cursor = page.next_cursor
        if cursor is None:
            break
    found = {(hit.session.pk, hit.seq, hit.active_branch) for hit in hits}
    assert len(found) == len(hits), "a hit on two pages"
    return found


def brute_force(user, q: str, view: str, branch: str) -> set[tuple]:
    parsed = parse_query(q)
    sessions = Session.objects.filter(SESSION_VIEWS[view], user=user)
    rows = list(Utterance.objects.filter(session__in=sessions).values("id", "session_id", "seq", "parent_seq"))
    final = Utterance.objects.filter(session__in=sessions, is_final=True)
    if parsed.role:
        final = final.filter(role=parsed.role)
    texts = dict(final.values_list("id", "text"))
    matching = _matching(texts, parsed.searchable_terms())
    heads = dict(sessions.values_list("pk", "head_seq"))
    parents = {(r["session_id"], r["seq"]): r["parent_seq"] for r in rows}
    active = set()
    for session_id, head in heads.items():
        seq = head
        while seq is not None:
            active.add((session_id, seq))
            seq = parents[(session_id, seq)]
    found = set()
    for r in rows:
        if r["id"] in matching:
            on_active = (r["session_id"], r["seq"]) in active
            if branch == "all" or on_active:
                found.add((r["session_id"], r["seq"], on_active))
    return found


def _matching(texts: dict, terms: list[str]) -> set:
    if not terms or not texts:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM unnest(%s::bigint[], %s::text[]) AS t(id, text) "  # noqa: S608
                f"WHERE to_tsvector('{SEARCH_CONFIG}', t.text) @@ ({tsquery_sql(len(terms))})",
                [list(texts), list(texts.values()), *terms],
            )
            return {row[0] for row in cursor.fetchall()}
    fresh = sqlite3.connect(":memory:")
    fresh.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    fresh.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)", list(texts.items()))
    return {row[0] for row in fresh.execute("SELECT rowid FROM t WHERE t MATCH ?", [fts5_expression(terms)])}


def check_all(user) -> dict:
    """Asserts every query's hits equal the brute force's; the answers, sessions named by their order
    of creation (the same on both runtimes)."""
    order = {
        pk: n
        for n, pk in enumerate(
            Session.objects.filter(user=user).order_by("created_at", "id").values_list("pk", flat=True)
        )
    }
    answers = {}
    for q in QUERIES:
        for view in VIEWS:
            for branch in ("all", "active"):
                found = searched(user, q, view, branch)
                expected = brute_force(user, q, view, branch)
                assert found == expected, (q, view, branch, found ^ expected)
                answers[f"{q}|{view}|{branch}"] = sorted([order[s], seq, active] for s, seq, active in found)
    assert any(answers.values())
    return answers


def filter_answers(user) -> dict:
    """Filters alone and combined on a small library: the hits as (title, seq), per case."""
    recipes = folder(user, "Recipes")
    breads = folder(user, "Breads", parent=recipes)
    a, b, c = (
        session_create(user=user, title=t, persona=p) for t, p in [("A", None), ("B", "creative-writer"), ("C", None)]
    )
    say(user, a.pk, "kettle one")
    say(user, a.pk, "kettle reply", role="assistant")
    say(user, b.pk, "kettle two")
    say(user, c.pk, "kettle three")
    file_in(a, breads)
    tag(user, a, "x", "y")
    tag(user, b, "x")
    Utterance.objects.filter(session=c).update(created_at=datetime(2025, 3, 1, 12, tzinfo=UTC))
    session_update(user=user, session_id=b.pk, pinned=True)
    cases = {
        "role": {"q": "kettle", "role": "assistant"},
        "persona": {"q": "kettle persona:creative-writer"},
        "folder by name": {"q": "kettle folder:RECIPES"},
        "folder by id": {"q": "kettle", "folder": str(recipes.pk)},
        "all the tags": {"q": "kettle tag:x tag:Y"},
        "a tag": {"q": "kettle", "tags": ["x"]},
        "before": {"q": "kettle before:2025-03-01"},
        "after": {"q": "kettle after:2025-03-02"},
        "one day": {"q": "kettle", "date_from": date(2025, 3, 1), "date_to": date(2025, 3, 1)},
        "pinned": {"q": "kettle", "view": "pinned"},
        "combined": {"q": "kettle tag:x role:user", "folder": str(breads.pk)},
    }
    return {
        name: sorted([hit.session.title, hit.seq] for hit in message_search_for_user(user=user, **kw).hits)
        for name, kw in cases.items()
    }

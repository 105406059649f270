"""session_search_for_user: find a user's sessions by title and by message text.

PostgreSQL: full-text search (websearch syntax) on the GIN indexes session_title_search_idx and
utterance_text_search_idx, the latter on (user_id, the stored column search_vector) so that a
user's search reads that user's matches only (migrations 0003 and 0004 add both on PostgreSQL
only, outside the model), ranked with ts_rank (title matches weigh double), with a highlighted
snippet of the best-matching message from ts_headline. SQLite (the embedded default): a plain
case-insensitive match giving the same result shape. Either way the search stops after
SEARCH_TIMEOUT_MS and answers SearchTooBroad, so a word found in everything costs a bounded time.
"""

from django.conf import settings
from django.db import connection

from accounts.models import User
from chatproject.db.deadlines import StatementTimedOut, sqlite_deadline, statement_timeout
from chatproject.fixed_sql import FixedStatement
from conversation.models import SEARCH_CONFIG, Session, Utterance
from conversation.search.hits import START, STOP, SearchHit, SearchTooBroad, unmark
from conversation.search.query import check_query

SNIPPET_CONTEXT_CHARS = 60


def session_search_for_user(*, user: User, q: str, limit: int = 20) -> list[SearchHit]:
    """The user's best matches; SearchTooBroad when the search takes longer than SEARCH_TIMEOUT_MS."""
    q = check_query(q)
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    if connection.vendor == "postgresql":
        found = _search_postgres(user_id=user.pk, q=q, limit=limit)
    else:
        found = _search_plain(user_id=user.pk, q=q, limit=limit)
    sessions = Session.objects.select_related("persona").in_bulk([row[0] for row in found])
    hits = []
    for session_id, rank, seq, marked in found:
        snippet, highlights = unmark(marked)
        hits.append(SearchHit(session=sessions[session_id], rank=rank, seq=seq, snippet=snippet, highlights=highlights))
    return hits


def _postgres_sql(quote) -> str:
    session, utterance = quote(Session._meta.db_table), quote(Utterance._meta.db_table)
    return f"""
-- user_id is cast to bigint in both indexed conditions: btree_gin's int8 operator class serves only
-- bigint = bigint, and an integer literal would leave the user out of the index condition (every
-- user's matches read).
WITH query AS (SELECT websearch_to_tsquery('{SEARCH_CONFIG}', %s) AS q),
title_hits AS (
    SELECT s.id AS session_id,
           2 * ts_rank(to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(s.title, '')), query.q) AS rank
    FROM {session} s, query
    WHERE s.user_id = %s::bigint
      AND to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(s.title, '')) @@ query.q
),
text_hits AS (
    SELECT DISTINCT ON (u.session_id) u.session_id, u.seq, ts_rank(u.search_vector, query.q) AS rank
    FROM {utterance} u, query
    WHERE u.user_id = %s::bigint AND u.is_final AND u.search_vector @@ query.q
    ORDER BY u.session_id, rank DESC, u.seq DESC
),
best AS (
    SELECT COALESCE(t.session_id, x.session_id) AS session_id,
           GREATEST(COALESCE(t.rank, 0), COALESCE(x.rank, 0)) AS rank,
           x.seq
    FROM title_hits t FULL OUTER JOIN text_hits x ON x.session_id = t.session_id
),
-- The page first, then the message texts and snippets of its rows only: a frequent word matches
-- thousands of sessions, and fetching every best message's text before the LIMIT is wasted work.
top AS (
    SELECT best.session_id, best.rank, best.seq, s.title, s.last_activity_at
    FROM best JOIN {session} s ON s.id = best.session_id
    WHERE s.deleted_at IS NULL  -- live and archived sessions are searched, the trash never
    ORDER BY best.rank DESC, s.last_activity_at DESC, s.id DESC
    LIMIT %s
)
SELECT top.session_id, top.rank, top.seq,
       ts_headline('{SEARCH_CONFIG}', COALESCE(u.text, top.title), query.q,
                   'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=1')
FROM top
LEFT JOIN {utterance} u ON u.session_id = top.session_id AND u.seq = top.seq, query
ORDER BY top.rank DESC, top.last_activity_at DESC, top.session_id DESC
"""  # noqa: S608 - the interpolated names are module constants and the models' tables; values are parameters


# Fixed, but bound on the client: a search's best plan depends on its words (a rare word, a frequent
# one), which a prepared statement's generic plan would not see.
_SEARCH = FixedStatement(sql=_postgres_sql, columns=lambda: [], server_bound=False)


def _search_postgres(*, user_id: int, q: str, limit: int) -> list[tuple]:
    try:
        with statement_timeout(milliseconds=settings.SEARCH_TIMEOUT_MS):
            rows = _SEARCH.rows([q, user_id, user_id, limit])
    except StatementTimedOut:
        raise SearchTooBroad from None
    return [(row[0], float(row[1]), row[2], row[3]) for row in rows]


def _search_plain(*, user_id: int, q: str, limit: int) -> list[tuple]:
    """The embedded default's search: case-insensitive substring, newest activity first."""
    try:
        with sqlite_deadline(milliseconds=settings.SEARCH_TIMEOUT_MS):
            return _search_plain_rows(user_id=user_id, q=q, limit=limit)
    except StatementTimedOut:
        raise SearchTooBroad from None


def _search_plain_rows(*, user_id: int, q: str, limit: int) -> list[tuple]:
    title_ids = Session.objects.filter(user_id=user_id, title__icontains=q).values("id")
    text_ids = Utterance.objects.filter(session__user_id=user_id, is_final=True, text__icontains=q).values("session_id")
    matches = list(
        Session.objects.filter(user_id=user_id, deleted_at__isnull=True)
        .filter(id__in=title_ids.union(text_ids))
        .order_by("-last_activity_at", "-id")
        .values_list("id", "title")[:limit]
    )
    needle = q.lower()
    untitled = [session_id for session_id, title in matches if needle not in title.lower()]
    best_text: dict = {}
    if untitled:
        rows = (
            Utterance.objects.filter(session_id__in=untitled, is_final=True, text__icontains=q)
            .order_by("session_id", "-seq")
            .values_list("session_id", "seq", "text")
        )
        for session_id, seq, text in rows:
            best_text.setdefault(session_id, (seq, text))
    found = []
    for session_id, title in matches:
        if session_id in best_text:
            seq, text = best_text[session_id]
            found.append((session_id, 0.5, seq, _mark_plain(text, q)))
        else:
            found.append((session_id, 1.0, None, _mark_plain(title, q)))
    return found


def _mark_plain(text: str, q: str) -> str:
    at = text.lower().find(q.lower())
    if at < 0:
        return text[: SNIPPET_CONTEXT_CHARS * 2]
    start = max(0, at - SNIPPET_CONTEXT_CHARS)
    end = min(len(text), at + len(q) + SNIPPET_CONTEXT_CHARS)
    return text[start:at] + START + text[at : at + len(q)] + STOP + text[at + len(q) : end]

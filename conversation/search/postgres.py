"""The message search on PostgreSQL: full-text search on utterance_text_search_idx, the GIN index
on (user_id, search_vector) (migrations 0003, 0004), so a search reads the user's matches only.

Each term is a phraseto_tsquery of the english configuration (the one search_vector is built with),
all of them joined with && (bound on the client, so the planner folds it to a constant): the
query's words are cut and stemmed exactly as the texts were. The page is ranked (ts_rank, then the
newest) and cut before ts_headline marks the snippets of its rows only. A partial answer
(ranked=False) reads the user's newest final utterances on utterance_user_recent_idx (migration
0018) and keeps the matching ones: a word found everywhere fills a page in a few rows.
"""

from functools import lru_cache

from chatproject.fixed_sql import FixedStatement
from conversation.models import SEARCH_CONFIG
from conversation.search.hits import START, STOP
from conversation.search.shape import Shape, filter_terms, names

HEADLINE = f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=10, MaxFragments=1"

# On the active branch: an empty path is one branch, all of it; else the utterance lies in one
# stretch [branch, last seq] of the path, past the next stretch's last seq (conversation.branches.paths).
ACTIVE = """(jsonb_array_length(s.branch_path) = 0 OR EXISTS (
    SELECT 1 FROM jsonb_array_elements(s.branch_path) WITH ORDINALITY AS p(stretch, i)
    WHERE (p.stretch->>0)::bigint = u.branch
      AND ((p.stretch->>1) IS NULL OR u.seq <= (p.stretch->>1)::bigint)
      AND u.seq > COALESCE((s.branch_path->(p.i::int)->>1)::bigint, 0)))"""


def tsquery_sql(terms: int) -> str:
    return " && ".join([f"phraseto_tsquery('{SEARCH_CONFIG}', %s)"] * terms)


def _sql(shape: Shape, quote) -> str:
    """Its values: the terms (for the rank, when ranked), the terms (the match), the filters'
    values, the position (with a cursor), the limit, the terms (the snippets): params_for."""
    n = names(quote)
    # The tsquery is written out where it is used, never through a CTE: a constant the planner folds,
    # so the match is an index condition of utterance_text_search_idx (a CTE's value is not).
    tsquery = f"({tsquery_sql(shape.terms)})"
    where = [
        f"u.search_vector @@ {tsquery}",
        *filter_terms(shape, quote, user_cast="::bigint"),  # btree_gin's int8 class: bigint = bigint
    ]
    if shape.active_only:
        where.append(ACTIVE)
    rank = f"ts_rank(u.search_vector, {tsquery})::float8" if shape.ranked else "0::float8"
    order = "m.rank DESC, m.created_at DESC, m.id DESC" if shape.ranked else "m.created_at DESC, m.id DESC"
    position = "WHERE (m.rank, m.created_at, m.id) < (%s::float8, %s, %s)" if shape.cursor else ""
    return f"""
WITH page AS (
    SELECT m.* FROM (
        SELECT u.id, u.session_id, u.seq, u.role, u.created_at, {rank} AS rank, {ACTIVE} AS active
        FROM {n["utterance"]} u JOIN {n["session"]} s ON s.id = u.session_id
        WHERE {" AND ".join(where)}
    ) m
    {position}
    ORDER BY {order}
    LIMIT %s
)
SELECT m.id, m.session_id, m.seq, m.role, m.created_at, m.rank, m.active,
       ts_headline('{SEARCH_CONFIG}', u.text, {tsquery}, '{HEADLINE}')
FROM page m JOIN {n["utterance"]} u ON u.id = m.id
ORDER BY {order}
"""  # noqa: S608 - names from the models and module constants; values are parameters


def params_for(shape: Shape, *, terms: list[str], filters: list, position: list, limit: int) -> list:
    return [*(terms if shape.ranked else []), *terms, *filters, *position, limit, *terms]


@lru_cache(maxsize=512)
def statement_for(shape: Shape) -> FixedStatement:
    # Bound on the client: a search's best plan depends on its words (a rare word, a frequent one).
    return FixedStatement(sql=lambda quote: _sql(shape, quote), columns=lambda: [], server_bound=False)

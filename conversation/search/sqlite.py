"""The message search on SQLite (the embedded default): FTS5.

conversation_utterance_search is an external-content FTS5 table over conversation_utterance(text),
rowid = the utterance's id, tokenizer `porter unicode61 remove_diacritics 2` (stems close to
PostgreSQL's english configuration). Triggers keep it exact on every insert, change of text and
delete (migration 0018 creates them; ensure_search_index puts them back after a migration that
rebuilt the utterance table, which drops a table's triggers). The page is ranked by the count of its
matches (RANK; then the newest) and its snippets come from snippet() in a second statement on the
page's rows only.
"""

from functools import lru_cache

from django.db.backends.base.base import BaseDatabaseWrapper

from chatproject.fixed_sql import FixedStatement
from conversation.search.hits import START, STOP
from conversation.search.shape import Shape, filter_terms, names

TABLE = "conversation_utterance_search"
CONTENT = "conversation_utterance"
TRIGGERS = {
    "conversation_utterance_search_insert": "AFTER INSERT ON conversation_utterance BEGIN "
    "INSERT INTO conversation_utterance_search(rowid, text) VALUES (new.id, new.text); END",
    "conversation_utterance_search_delete": "AFTER DELETE ON conversation_utterance BEGIN "
    "INSERT INTO conversation_utterance_search(conversation_utterance_search, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "conversation_utterance_search_update": "AFTER UPDATE OF text ON conversation_utterance BEGIN "
    "INSERT INTO conversation_utterance_search(conversation_utterance_search, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO conversation_utterance_search(rowid, text) VALUES (new.id, new.text); END",
}
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(text, content='{CONTENT}', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)


def ensure_search_index(db: BaseDatabaseWrapper) -> bool:
    """SQLite: the FTS5 table and its triggers, created where missing; when any was, the index is
    rebuilt from the utterances (so it is exact whatever happened without them). True if it was."""
    if db.vendor != "sqlite":
        return False
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s", [TABLE + "%"]
        )
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in [TABLE, *TRIGGERS] if name not in present]
        if not missing:
            return False
        cursor.execute(CREATE_TABLE)
        for name, body in TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")  # noqa: S608
    return True


def drop_search_index(db: BaseDatabaseWrapper) -> None:
    if db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


# On the active branch (see postgres.ACTIVE): SQLite's JSON functions on the same path.
ACTIVE = """(json_array_length(s.branch_path) = 0 OR EXISTS (
    SELECT 1 FROM json_each(s.branch_path) p
    WHERE json_extract(p.value, '$[0]') = u.branch
      AND (json_extract(p.value, '$[1]') IS NULL OR u.seq <= json_extract(p.value, '$[1]'))
      AND u.seq > COALESCE(json_extract(s.branch_path, '$[' || (p.key + 1) || '][1]'), 0)))"""


# A hit's rank from its own message alone: how many times the query's phrases match in it (highlight()
# marks each match with one character), the more the better, as PostgreSQL's ts_rank counts them.
# Not bm25: its weights come from the whole table, every user's messages, so that a user's ranks
# (in the answer and in the cursor) would tell how often other users wrote the words.
RANK = f"CAST(length(highlight({TABLE}, 0, char(57344), '')) - length(u.text) AS REAL)"


def _sql(shape: Shape, quote) -> str:
    n = names(quote)
    where = [f"{TABLE} MATCH %s", *filter_terms(shape, quote)]
    if shape.active_only:
        where.append(ACTIVE)
    rank = RANK if shape.ranked else "0.0"
    order = "m.rank DESC, m.created_at DESC, m.id DESC" if shape.ranked else "m.created_at DESC, m.id DESC"
    position = "WHERE (m.rank, m.created_at, m.id) < (%s, %s, %s)" if shape.cursor else ""
    return f"""
SELECT m.id, m.session_id, m.seq, m.role, m.created_at, m.rank, m.active FROM (
    SELECT u.id, u.session_id, u.seq, u.role, u.created_at, {rank} AS rank, {ACTIVE} AS active
    FROM {TABLE} JOIN {n["utterance"]} u ON u.id = {TABLE}.rowid JOIN {n["session"]} s ON s.id = u.session_id
    WHERE {" AND ".join(where)}
) m
{position}
ORDER BY {order}
LIMIT %s
"""  # noqa: S608 - names from the models and module constants; values are parameters


@lru_cache(maxsize=512)
def statement_for(shape: Shape) -> FixedStatement:
    return FixedStatement(sql=lambda quote: _sql(shape, quote), columns=lambda: [])


@lru_cache(maxsize=128)
def snippets_statement(count: int) -> FixedStatement:
    """The snippets of `count` utterances (their ids) for a MATCH expression."""
    marks = ", ".join(["%s"] * count)
    return FixedStatement(
        sql=lambda quote: (
            f"SELECT rowid, snippet({TABLE}, 0, '{START}', '{STOP}', '…', 24) FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH %s AND rowid IN ({marks})"
        ),
        columns=lambda: [],
    )


def ensure_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate: SQLite rebuilds a table to change it, dropping its triggers; a later migration
    of the utterances would leave the search index behind without this."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    db = connections[using]
    if db.vendor == "sqlite" and ("conversation", "0018_message_search") in MigrationRecorder(db).applied_migrations():
        ensure_search_index(db)

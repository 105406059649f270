"""An utterance's siblings: the other children of its parent (edits and regenerations), for the
pager under each message."""

from django.db import connection
from django.db.models import CharField, Expression

from chatproject.fixed_sql import FixedExpression, FixedStatement
from conversation.models import Session, SessionBranch, Utterance
from conversation.sessions.lookup import session_db_id


def siblings_entry(siblings: dict, utterance) -> dict:
    """{"count", "index" (1-based), "prev", "next"} of `utterance` among its parent's children, from
    a map of utterance_siblings (an utterance it does not name is its parent's only one)."""
    seqs = siblings.get(utterance.parent_seq) or [utterance.seq]
    index = seqs.index(utterance.seq) if utterance.seq in seqs else 0
    return {
        "count": len(seqs),
        "index": index + 1,
        "prev": seqs[index - 1] if index > 0 else None,
        "next": seqs[index + 1] if index + 1 < len(seqs) else None,
    }


def utterance_siblings(*, session: Session, utterances: list) -> dict:
    """The siblings' map of `utterances` (see UtterancePage.siblings): one query for a branched
    session, none for a plain list."""
    return _siblings(session.pk, utterances) if session.branch_path else {}


def sibling_seqs_sql(session_pk) -> Expression:
    """Each utterance's parent's children, "seq,seq,..." (unordered), for an utterance whose parent
    is a fork point of the session (null for the others, which have no siblings: a second child is
    only ever stored on a new branch, which names its fork point). The fork points are read once,
    as a set the rows are checked against; the children probed (utterance_parent_idx) for the rows
    that need it alone. Inside the page's own query, so a branched session's page makes the same
    two queries as a plain one's."""
    return _SIBLING_SEQS.of([session_db_id(session_pk)])


def _sibling_seqs_sql(quote) -> str:
    table, branches = quote(Utterance._meta.db_table), quote(SessionBranch._meta.db_table)
    u, b = Utterance._meta.get_field, SessionBranch._meta.get_field
    seq, session, parent = (quote(u(name).column) for name in ("seq", "session", "parent_seq"))
    aggregate = f"string_agg(c.{seq}::text, ',')" if connection.vendor == "postgresql" else f"group_concat(c.{seq})"
    children = f"SELECT {aggregate} FROM {table} c WHERE c.{session} = {table}.{session} AND c.{parent}"  # noqa: S608
    forks = (
        f"SELECT b.{quote(b('fork_seq').column)} FROM {branches} b"  # noqa: S608 - names from the models
        f" WHERE b.{quote(b('session').column)} = %s"
    )
    return (
        f"CASE WHEN {table}.{parent} IS NULL THEN ({children} IS NULL)"
        f" WHEN {table}.{parent} IN ({forks}) THEN ({children} = {table}.{parent}) END"
    )


_SIBLING_SEQS = FixedExpression(sql=_sibling_seqs_sql, output_field=CharField)


def _siblings(session_pk, rows: list) -> dict:
    """{parent seq: [its children's seqs, ascending]} for the parents of `rows`: one query on
    utterance_parent_idx, a fixed statement per number of parents: through the ORM (an `__in` of
    fifty values) it cost twice the query it made."""
    parents = sorted({row.parent_seq for row in rows if row.parent_seq is not None})
    statement = _siblings_statement(len(parents), any(row.parent_seq is None for row in rows))
    found: dict = {}
    for parent, seq in statement.rows([session_db_id(session_pk), *parents]):
        found.setdefault(parent, []).append(seq)
    return found


_SIBLINGS: dict[tuple[int, bool], FixedStatement] = {}


def _siblings_statement(parents: int, root: bool) -> FixedStatement:
    """_siblings' statement for `parents` parent seqs, and the first utterances (`root`); its values,
    in order: the session's id, the parent seqs."""
    key = (parents, root)
    if key not in _SIBLINGS:  # on Django's cursor: a page's number of parents varies, so its text does
        _SIBLINGS[key] = FixedStatement(
            sql=lambda quote: _siblings_sql(quote, *key), columns=_siblings_columns, server_bound=False
        )
    return _SIBLINGS[key]


def _siblings_columns() -> list:
    return [(Utterance._meta.db_table, Utterance._meta.get_field(name)) for name in ("parent_seq", "seq")]


def _siblings_sql(quote, parents: int, root: bool) -> str:
    table, field = quote(Utterance._meta.db_table), Utterance._meta.get_field
    parent, seq, session = (f"{table}.{quote(field(name).column)}" for name in ("parent_seq", "seq", "session"))
    terms = [f"{parent} IN ({', '.join(['%s'] * parents)})"] if parents else []
    if root:
        terms.append(f"{parent} IS NULL")
    return (
        f"SELECT {parent}, {seq} FROM {table} WHERE {session} = %s"  # noqa: S608 - names from the models
        f" AND ({' OR '.join(terms)}) ORDER BY {seq}"
    )

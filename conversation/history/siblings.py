"""An utterance's siblings: the other children of its parent (edits and regenerations), for the
pager under each message."""

from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL

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


def sibling_seqs_sql(session_pk) -> RawSQL:
    """Each utterance's parent's children, "seq,seq,..." (unordered), for an utterance whose parent
    is a fork point of the session (null for the others, which have no siblings: a second child is
    only ever stored on a new branch, which names its fork point). The fork points are read once,
    as a set the rows are checked against; the children probed (utterance_parent_idx) for the rows
    that need it alone. Inside the page's own query, so a branched session's page makes the same
    two queries as a plain one's."""
    table, branches = Utterance._meta.db_table, SessionBranch._meta.db_table
    aggregate = "string_agg(c.seq::text, ',')" if connection.vendor == "postgresql" else "group_concat(c.seq)"
    children = f"SELECT {aggregate} FROM {table} c WHERE c.session_id = {table}.session_id AND c.parent_seq"  # noqa: S608
    forks = f"SELECT b.fork_seq FROM {branches} b WHERE b.session_id = %s"  # noqa: S608
    return RawSQL(  # noqa: S611 - the one value is a parameter
        f"CASE WHEN {table}.parent_seq IS NULL THEN ({children} IS NULL)"
        f" WHEN {table}.parent_seq IN ({forks}) THEN ({children} = {table}.parent_seq) END",
        [session_db_id(session_pk)],
        output_field=CharField(),
    )


def _siblings(session_pk, rows: list) -> dict:
    """{parent seq: [its children's seqs, ascending]} for the parents of `rows`: one query on
    utterance_parent_idx, in plain SQL: through the ORM (an `__in` of fifty values) it cost twice
    the query it made."""
    parents = sorted({row.parent_seq for row in rows if row.parent_seq is not None})
    terms = [f"parent_seq IN ({', '.join(['%s'] * len(parents))})"] if parents else []
    if any(row.parent_seq is None for row in rows):
        terms.append("parent_seq IS NULL")
    found: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT parent_seq, seq FROM {Utterance._meta.db_table} WHERE session_id = %s AND ({' OR '.join(terms)})"  # noqa: S608 - the table is the model's own; values are parameters
            " ORDER BY seq",
            [session_db_id(session_pk), *parents],
        )
        for parent, seq in cursor.fetchall():
            found.setdefault(parent, []).append(seq)
    return found

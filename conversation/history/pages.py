"""Pages of a session's history, by keyset on seq (the active branch, or every stored utterance).
Each selector makes a fixed number of queries, whatever the size of the data."""

import functools
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.utils import create_namedtuple_class

from accounts.models import User
from chatproject.db.cursors import server_binding
from chatproject.fixed_sql import FixedStatement, condition_sql
from conversation import inputs
from conversation.branches.paths import path_rows, path_to
from conversation.history.siblings import sibling_seqs_sql, siblings_entry
from conversation.models import Session, Utterance
from conversation.sessions.lookup import session_db_id, session_get_for_user

# What a page of history shows of each utterance. Pages are read as named rows of these, not models:
# building fifty model instances cost more than the query that read them.
UTTERANCE_PAGE_FIELDS = ("seq", "parent_seq", "role", "text", "is_final", "client_id", "created_at", "metadata")


@dataclass(frozen=True)
class UtterancePage:
    session: Session | None  # with_session=True only
    utterances: list  # named rows of UTTERANCE_PAGE_FIELDS (attributes as on Utterance), oldest first
    has_before: bool  # older utterances exist before the first one
    has_after: bool  # newer utterances exist after the last one
    # The seqs after each parent seq of the page's utterances, ascending (None: the first ones),
    # when the session has branches; empty for a plain list, where each utterance is its only one.
    siblings: dict = field(default_factory=dict)

    def siblings_of(self, utterance) -> dict:
        return siblings_entry(self.siblings, utterance)

    def rows(self) -> list[tuple]:
        """(utterance, its siblings_of) pairs, oldest first: what the page renders."""
        return [(row, siblings_entry(self.siblings, row)) for row in self.utterances]


def utterance_page(
    *,
    user: User,
    session_id: uuid.UUID | str,
    before: Any = None,
    after: Any = None,
    limit: Any = None,
    include_interim: bool = False,
    max_chars: int | None = None,
    with_session: bool = False,
    all_branches: bool = False,
    leaf: Any = None,
) -> UtterancePage:
    """A page of history by keyset on seq: the newest `limit`, or those before/after a seq.

    With `max_chars`, the page also stops before its texts pass that many characters (it always
    holds one utterance), so that what renders it is bounded whatever the messages are.
    Two queries (the session, the page), using utterance_session_seq_unique; the page holds the
    active branch only (path_rows), or every stored utterance with `all_branches`; a branched
    session's page carries each utterance's siblings (sibling_seqs_sql). The session is read by
    session_get_for_user (with its persona) and returned `with_session`. With `leaf` (a seq), the
    page follows the path from the root to that utterance instead of the active branch (a page
    opened on another version of the chat: history/landing.py), one query more (path_to).
    """
    limit = inputs.check_limit(limit)
    before = inputs.check_seq(before, field_name="before")
    after = inputs.check_seq(after, field_name="after")
    if before is not None and after is not None:
        raise ValidationError({"before": "Give before or after, not both."})
    # Server-bound (chatproject/postgresql): a page's statements repeat, so they are prepared.
    with server_binding():
        found = session_get_for_user(user=user, session_id=session_id)
        session = found if with_session else None
        session_pk, head_seq, last_seq, branch_path = found.pk, found.head_seq, found.last_seq, found.branch_path
        branched = bool(branch_path)

        if all_branches:
            branch_path = []  # every stored utterance, by seq
        elif leaf is not None and branched:
            branch_path = viewed_path(found, leaf)
            head_seq = branch_path[0][1]
        page_of = page_reader(session_pk, branch_path, branched=branched, include_interim=include_interim)
        if after is not None:
            fetched = page_of(above=after, limit=limit + 1, newest=False)
            rows = _within_chars(fetched[:limit], max_chars)
            has_before, has_after = after > 0, len(fetched) > len(rows)
        else:
            fetched = page_of(below=before, limit=limit + 1, newest=True)
            rows = _within_chars(fetched[:limit], max_chars)[::-1]
            has_before = len(fetched) > len(rows)
            newest = last_seq if all_branches else head_seq
            has_after = before is not None and newest is not None and before <= newest
    return UtterancePage(
        session=session,
        utterances=rows,
        has_before=has_before,
        has_after=has_after,
        siblings=siblings_of_rows(rows, branched=branched),
    )


def page_reader(session_pk, branch_path: list, *, branched: bool, include_interim: bool = False):
    """The function that reads a page of `branch_path` (path_rows' arguments: above, below, limit,
    newest): a fixed statement for a session without branches, path_rows on a branched one's."""
    if not branched:
        return functools.partial(_plain_page, session_pk=session_pk, include_interim=include_interim)
    return functools.partial(path_rows, _branched_page_queryset(session_pk, include_interim), branch_path=branch_path)


def viewed_path(session: Session, leaf: Any) -> list:
    """The path from the root to the utterance `leaf` (a seq), as a page reads it; ValidationError
    when the session has no such utterance."""
    leaf = inputs.check_seq(leaf, field_name="leaf")
    if leaf is None:
        raise ValidationError({"leaf": "leaf must be a whole number."})
    try:
        return path_to(session=session, seq=leaf)
    except Utterance.DoesNotExist:
        raise ValidationError({"leaf": f"This chat has no message {leaf}."}) from None


def siblings_of_rows(rows: list, *, branched: bool) -> dict:
    """UtterancePage.siblings from a page's rows (an utterance without siblings needs no entry)."""
    return {
        row.parent_seq: sorted(map(int, row.sibling_seqs.split(",")))
        for row in (rows if branched else [])
        if row.sibling_seqs and "," in row.sibling_seqs
    }


def within_chars(rows: list, max_chars: int | None) -> list:
    """The first of `rows` whose texts add up to at most `max_chars` characters (at least one row)."""
    return _within_chars(rows, max_chars)


# The rows of a page of history, as values_list(*UTTERANCE_PAGE_FIELDS, named=True) gives them.
UtteranceRow = create_namedtuple_class(*UTTERANCE_PAGE_FIELDS)


def _plain_page(
    *, session_pk, include_interim: bool, limit: int, newest: bool, above: int = 0, below: int | None = None
) -> list:
    """path_rows of a session without branches (every utterance is on its one path): the first `limit`
    with above < seq < below, newest first or oldest first, on utterance_session_seq_unique. A fixed
    statement per shape: every page of a plain session's history makes it."""
    params = [session_db_id(session_pk)]
    if below is not None:
        params.append(below)
    if above:
        params.append(above)
    statement = plain_page_statement(include_interim, below is not None, bool(above), newest)
    return [UtteranceRow(*row) for row in statement.rows([*params, limit])]


_PLAIN_PAGES: dict[tuple, FixedStatement] = {}


def plain_page_statement(include_interim: bool, below: bool, above: bool, newest: bool) -> FixedStatement:
    """_plain_page's statement for one shape of page; its values, in order: the session's id, `below`'s
    seq, `above`'s seq, the limit."""
    key = (include_interim, below, above, newest)
    if key not in _PLAIN_PAGES:
        _PLAIN_PAGES[key] = FixedStatement(sql=lambda quote: _plain_page_sql(quote, *key), columns=_plain_page_columns)
    return _PLAIN_PAGES[key]


def _plain_page_columns() -> list:
    return [(Utterance._meta.db_table, Utterance._meta.get_field(name)) for name in UTTERANCE_PAGE_FIELDS]


def _plain_page_sql(quote, include_interim: bool, below: bool, above: bool, newest: bool) -> str:
    table, field = quote(Utterance._meta.db_table), Utterance._meta.get_field
    seq = f"{table}.{quote(field('seq').column)}"
    terms = [f"{table}.{quote(field('session').column)} = %s"]
    if not include_interim:
        terms.append(condition_sql(Utterance.objects.filter(is_final=True)))
    if below:
        terms.append(f"{seq} < %s")
    if above:
        terms.append(f"{seq} > %s")
    columns = ", ".join(f"{table}.{quote(field(name).column)}" for name in UTTERANCE_PAGE_FIELDS)
    return (
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(terms)}"  # noqa: S608 - names from the models
        f" ORDER BY {seq} {'DESC' if newest else 'ASC'} LIMIT %s"
    )


def _branched_page_queryset(session_pk, include_interim: bool) -> QuerySet:
    queryset = Utterance.objects.filter(session_id=session_pk)
    if not include_interim:
        queryset = queryset.filter(is_final=True)
    queryset = queryset.annotate(sibling_seqs=sibling_seqs_sql(session_pk))
    return queryset.values_list(*UTTERANCE_PAGE_FIELDS, "sibling_seqs", named=True)


def _within_chars(rows: list, max_chars: int | None) -> list:
    """The first of `rows` whose texts add up to at most `max_chars` characters (at least one row)."""
    if max_chars is None:
        return rows
    total = 0
    for index, row in enumerate(rows):
        total += len(row.text)
        if total > max_chars and index > 0:
            return rows[:index]
    return rows


def utterances_latest(*, session_id: uuid.UUID, limit: int) -> list[Utterance]:
    """The newest `limit` utterances, interim ones included, oldest first (the admin's change page)."""
    rows = list(Utterance.objects.filter(session_id=session_id).order_by("-seq")[:limit])
    rows.reverse()
    return rows


def utterances_after(*, session_id: uuid.UUID, after: int, limit: int, branch_path: list) -> list[Utterance]:
    """Final utterances of the active branch (`branch_path`, Session.branch_path) with seq > after,
    oldest first: the export's pages (path_rows)."""
    queryset = Utterance.objects.filter(session_id=session_id, is_final=True)
    return path_rows(queryset, branch_path=branch_path, above=after, limit=limit, newest=False)

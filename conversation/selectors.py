"""Reads. Each selector makes a fixed number of queries, whatever the size of the data."""

import functools
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, CharField, Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.utils import create_namedtuple_class
from django.utils import timezone

from accounts.models import RETENTION_CHOICES, User
from accounts.selectors import retention_days_effective
from chatproject.fixed_sql import FixedStatement, condition_sql, instances_of, model_columns
from conversation import inputs
from conversation.models import (
    ARCHIVED,
    LIVE,
    PINNED,
    RETAINED,
    TRASH,
    Persona,
    Role,
    Session,
    SessionBranch,
    Utterance,
)


def persona_list() -> QuerySet[Persona]:
    return Persona.objects.order_by("position", "id")


def persona_resolve(*, persona: Persona | str | None) -> Persona:
    """A Persona, a slug, or None for the default persona."""
    if isinstance(persona, Persona):
        return persona
    if persona is None or persona == "":
        found = Persona.objects.filter(is_default=True).first() or Persona.objects.order_by("position").first()
        if found is None:
            raise ValidationError({"persona": "No persona is configured."})
        return found
    if not isinstance(persona, str):
        raise ValidationError({"persona": "Persona must be a slug."})
    try:
        return Persona.objects.get(slug=persona)
    except Persona.DoesNotExist:
        raise ValidationError({"persona": f"Unknown persona {persona!r}."}) from None


def session_id_parse(session_id: uuid.UUID | str) -> uuid.UUID:
    """A session id as a UUID; a malformed one is "not found", like a missing session."""
    if isinstance(session_id, uuid.UUID):
        return session_id
    try:
        return uuid.UUID(str(session_id))
    except ValueError:
        raise Session.DoesNotExist("No such session.") from None


def session_db_id(session_id: uuid.UUID | str):
    """A session id as the database holds it, for plain SQL (a uuid column, or text on SQLite)."""
    return Session._meta.pk.get_db_prep_value(session_id_parse(session_id), connection)


def session_get_for_user(
    *, user: User, session_id: uuid.UUID | str, for_update: bool = False, in_trash: bool | None = False
) -> Session:
    """The user's session; another user's session and a malformed id are "not found", like a missing one.

    `in_trash`: False (every door but the trash's) finds sessions out of the trash only, True those
    in it only, None either.
    """
    if not for_update and in_trash is False:
        return _session_with_persona(user=user, session_id=session_id)
    queryset = Session.objects.filter(user=user).select_related("persona")
    if in_trash is not None:
        queryset = queryset.filter(deleted_at__isnull=not in_trash)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))  # the session's row; personas stay unlocked
    return queryset.get(pk=session_id_parse(session_id))


def _session_with_persona(*, user: User, session_id) -> Session:
    """session_get_for_user's common case (out of the trash, unlocked), as its queryset gives it: one
    fixed statement, since every socket message and most API calls make it."""
    found = _SESSION_WITH_PERSONA.rows([user.pk, session_db_id(session_id)])
    if not found:
        raise Session.DoesNotExist("Session matching query does not exist.")
    session, session.persona = instances_of(found[0], Session, Persona)
    return session


def _session_with_persona_columns() -> list:
    return model_columns(Session._meta.db_table, Session) + model_columns(Persona._meta.db_table, Persona)


def _session_with_persona_sql(quote) -> str:
    session, personas, field = quote(Session._meta.db_table), quote(Persona._meta.db_table), Session._meta.get_field
    columns = ", ".join(f"{quote(table)}.{quote(f.column)}" for table, f in _session_with_persona_columns())
    join = f"{session}.{quote(field('persona').column)} = {personas}.{quote(Persona._meta.pk.column)}"
    return (
        f"SELECT {columns} FROM {session} INNER JOIN {personas} ON {join}"  # noqa: S608 - names from the models
        f" WHERE {session}.{quote(field('user').column)} = %s AND {session}.{quote(field('deleted_at').column)} IS NULL"
        f" AND {session}.{quote(field('id').column)} = %s"
    )


_SESSION_WITH_PERSONA = FixedStatement(sql=_session_with_persona_sql, columns=_session_with_persona_columns)


# How each view is ordered (and cursor-paginated): by last activity, the trash by deletion time.
SESSION_VIEW_ORDERING = {
    "live": ("-last_activity_at", "-id"),
    "pinned": ("-last_activity_at", "-id"),
    "archived": ("-last_activity_at", "-id"),
    "trash": ("-deleted_at", "-id"),
}
SESSION_VIEWS = {"live": LIVE, "pinned": PINNED, "archived": ARCHIVED, "trash": TRASH}


# What a list shows of each session (session_list_for_user's rows), and of its persona.
SESSION_LIST_FIELDS = (
    "id",
    "title",
    "created_at",
    "last_activity_at",
    "ended_at",
    "message_count",
    "head_seq",
    "pinned_at",
    "archived_at",
    "deleted_at",
)
SESSION_LIST_KEYS = (*SESSION_LIST_FIELDS, "persona_slug", "persona_name")


def session_list_for_user(*, user: User, persona: str | None = None, view: str = "live") -> QuerySet[dict]:
    """The sessions of one view in a total order (SESSION_VIEW_ORDERING, id as the tie-break), ready
    for keyset pagination.

    Views (SESSION_VIEWS): "live" (not archived, not in the trash; pinned ones included), "pinned",
    "archived" (newest activity first), "trash" (newest deletion first). Rows are dicts of what a
    list shows: id, title, created_at, last_activity_at, ended_at, message_count, pinned_at,
    archived_at, deleted_at, head_seq, persona_slug and persona_name. A list builds no model instances (two per
    row, with the persona): it reads twice as fast (bench/domain.py). Each view reads its own
    partial index (session_<view>_activity_idx, session_trash_idx). The API and the pages read it a
    page at a time through session_page_for_user, its fixed statement.
    """
    queryset = Session.objects.filter(SESSION_VIEWS[view], user=user)
    if persona:
        queryset = queryset.filter(persona__slug=persona)
    return queryset.order_by(*SESSION_VIEW_ORDERING[view]).values(
        *SESSION_LIST_FIELDS,
        persona_slug=F("persona__slug"),
        persona_name=F("persona__name"),
    )


def session_page_for_user(
    *,
    user: User,
    view: str = "live",
    persona: str | None = None,
    newest_first: bool = True,
    older_than: Any = None,
    newer_than: Any = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict]:
    """One page of session_list_for_user's rows, in the view's order (newest first) or its reverse,
    past a position on the view's sort column (SESSION_VIEW_ORDERING[view][0], strictly older or
    newer than the value, a datetime or its text as DRF's cursors carry it): one fixed statement
    on the view's partial index, the same query as the queryset's page. Every API list call and
    sidebar page makes it; through the ORM, building the query cost more than running it.
    ValidationError for a position that is not a time."""
    sort_field = Session._meta.get_field(SESSION_VIEW_ORDERING[view][0].lstrip("-"))
    compare, position = ("<", older_than) if older_than is not None else (">", newer_than)
    params = [user.pk]
    if persona:
        params.append(persona)
    if position is not None:
        params.append(sort_field.get_db_prep_value(position, connection))
    else:
        compare = None
    statement = session_page_statement(view=view, persona=bool(persona), compare=compare, newest_first=newest_first)
    rows = statement.rows([*params, limit, offset])
    return [dict(zip(SESSION_LIST_KEYS, row, strict=True)) for row in rows]


_SESSION_PAGES: dict[tuple, FixedStatement] = {}


def session_page_statement(*, view: str, persona: bool, compare: str | None, newest_first: bool) -> FixedStatement:
    """session_page_for_user's statement for one shape of page; its values, in order: the user's
    id, the persona's slug (`persona`), the position (`compare`: "<", ">" or None), limit, offset."""
    key = (view, persona, compare, newest_first)
    if key not in _SESSION_PAGES:
        _SESSION_PAGES[key] = FixedStatement(
            sql=lambda quote: _session_page_sql(quote, *key), columns=_session_page_columns
        )
    return _SESSION_PAGES[key]


def _session_page_columns() -> list:
    session, persona = Session._meta, Persona._meta
    return [(session.db_table, session.get_field(name)) for name in SESSION_LIST_FIELDS] + [
        (persona.db_table, persona.get_field("slug")),
        (persona.db_table, persona.get_field("name")),
    ]


def _session_page_sql(quote, view: str, persona: bool, compare: str | None, newest_first: bool) -> str:
    session, personas = quote(Session._meta.db_table), quote(Persona._meta.db_table)
    columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for table, field in _session_page_columns())
    # The view's condition as the ORM writes it from models.LIVE and the others, so that it matches
    # the partial index's own (the index is built from the same Q).
    condition = condition_sql(Session.objects.filter(SESSION_VIEWS[view]))
    fields = Session._meta.get_field
    terms = [f"{session}.{quote(fields('user').column)} = %s", f"({condition})"]
    if persona:
        terms.append(f"{personas}.{quote(Persona._meta.get_field('slug').column)} = %s")
    sort = quote(fields(SESSION_VIEW_ORDERING[view][0].lstrip("-")).column)
    if compare:
        terms.append(f"{session}.{sort} {compare} %s")
    direction = "DESC" if newest_first else "ASC"
    join = f"{quote(fields('persona').column)} = {personas}.{quote(Persona._meta.pk.column)}"
    return (
        f"SELECT {columns} FROM {session}"  # noqa: S608 - names from the models; values are parameters
        f" INNER JOIN {personas} ON {session}.{join}"
        f" WHERE {' AND '.join(terms)}"
        f" ORDER BY {session}.{sort} {direction}, {session}.{quote(Session._meta.pk.column)} {direction}"
        " LIMIT %s OFFSET %s"
    )


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


def check_limit(limit: Any, *, default: int = 50) -> int:
    if limit is None or limit == "":
        return default
    try:
        value = int(limit)
    except (TypeError, ValueError):
        raise ValidationError({"limit": "limit must be a whole number."}) from None
    if not 1 <= value <= settings.MAX_PAGE_SIZE:
        raise ValidationError({"limit": f"limit must be between 1 and {settings.MAX_PAGE_SIZE}."})
    return value


def check_seq(value: Any, *, field_name: str) -> int | None:
    return inputs.check_seq(value, field_name=field_name)  # within 64 bits, on every database


def active_path_filter(branch_path: list) -> Q | RawSQL:
    """The utterances of the active branch of a session whose `branch_path` this is (empty: the
    session has one branch, all of it). Each [branch, last seq] names a stretch of the path; the
    head's own branch is all of it (last seq null). One term per stretch: for a page of the
    history, path_rows reads only the stretches it needs."""
    return stretches_filter(list(path_stretches(branch_path)))


class Stretch(NamedTuple):
    """Where one branch lies on a path: its utterances with `after` < seq <= `upto` (None: no end).
    A branch's utterances all follow its fork point, the last seq of the stretch before it."""

    branch: int
    after: int
    upto: int | None


def path_stretches(branch_path: list, *, above: int = 0, below: int | None = None) -> Iterator[Stretch]:
    """The stretches of a path (Session.branch_path, or SessionBranch.path with the head's own
    branch first) that can hold a seq in (above, below), newest first: their seqs are disjoint and
    fall as they go to the root, so the look stops at the first one that ends at `above`."""
    last = len(branch_path) - 1
    for i, (branch, top) in enumerate(branch_path):
        if top is not None and top <= above:
            return
        after = branch_path[i + 1][1] if i < last else 0
        if below is None or after < below - 1:
            yield Stretch(branch, after, top)


def stretches_filter(stretches: list[Stretch], *, above: int = 0, below: int | None = None) -> Q | RawSQL:
    """The condition "on one of `stretches`, with above < seq < below" for a query of one
    session's utterances: one term per stretch, each a range of utterance_branch_seq_idx. Written
    as SQL: a page builds it each time, and Django's lookups cost more than the query they build."""
    if not stretches:
        return Q()
    terms, params = [], []
    for stretch in stretches:
        term = "branch = %s"
        params.append(stretch.branch)
        low = max(stretch.after, above)
        if low:
            term += " AND seq > %s"
            params.append(low)
        if stretch.upto is not None and (below is None or stretch.upto < below):
            term += " AND seq <= %s"
            params.append(stretch.upto)
        elif below is not None:
            term += " AND seq < %s"
            params.append(below)
        terms.append(f"({term})")
    return RawSQL(" OR ".join(terms), params, output_field=BooleanField())  # noqa: S611 - every value is a parameter


def path_rows(
    queryset: QuerySet, *, branch_path: list, limit: int, above: int = 0, below: int | None = None, newest: bool
) -> list:
    """The first `limit` rows of `queryset` (one session's utterances) on the path `branch_path`
    with above < seq < below: the newest first (`newest`) or the oldest first.

    A page needs a stretch or two of a path of hundreds: the stretches are read in order, two at
    first, then twice as many each time, until the page is full; so a page costs about the same
    on a branched session as on a plain one, wherever it lies (utterance_branch_seq_idx,
    utterance_session_seq_unique)."""
    queryset = queryset.order_by("-seq" if newest else "seq")
    if not branch_path:
        if below is not None:
            queryset = queryset.filter(seq__lt=below)
        return list(queryset.filter(seq__gt=above)[:limit] if above else queryset[:limit])
    reaching = path_stretches(branch_path, above=above, below=below)
    stretches = reaching if newest else reversed(list(reaching))
    rows: list = []
    batch = 2
    while len(rows) < limit and (chunk := list(islice(stretches, batch))):
        condition = stretches_filter(chunk, above=above, below=below)
        rows += list(queryset.filter(condition)[: limit - len(rows)])
        batch *= 2
    return rows


def utterance_at(*, session: Session, seq: Any) -> Utterance:
    """The session's utterance `seq` (what the branch operations name); ValidationError for a seq
    that is not a whole number or names no utterance of the session."""
    if isinstance(seq, bool) or not isinstance(seq, int | str) or check_seq(seq, field_name="seq") is None:
        raise ValidationError({"seq": "seq must be a whole number."})
    seq = check_seq(seq, field_name="seq")
    try:
        return Utterance.objects.only("seq", "parent_seq", "branch", "role", "is_final").get(session=session, seq=seq)
    except Utterance.DoesNotExist:
        raise ValidationError({"seq": f"This chat has no message {seq}."}) from None


def utterance_answered_by(*, session: Session, seq: Any) -> Utterance:
    """The message the assistant message `seq` answers (what a regeneration answers again);
    ValidationError for a seq that is not a reply of the session, or a reply that answers nothing."""
    reply = utterance_at(session=session, seq=seq)
    if reply.role != Role.ASSISTANT:
        raise ValidationError({"seq": "Only a reply can be regenerated; edit your message instead."})
    if reply.parent_seq is None:
        raise ValidationError({"seq": "This reply answers no message: there is nothing to answer again."})
    return Utterance.objects.get(session=session, seq=reply.parent_seq)  # whole: the reply's answers show it


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
) -> UtterancePage:
    """A page of history by keyset on seq: the newest `limit`, or those before/after a seq.

    With `max_chars`, the page also stops before its texts pass that many characters (it always
    holds one utterance), so that what renders it is bounded whatever the messages are.
    Two queries (the session, the page), using utterance_session_seq_unique; the page holds the
    active branch only (path_rows), or every stored utterance with `all_branches`; a branched
    session's page carries each utterance's siblings (_sibling_seqs_sql). The session is read by
    session_get_for_user (with its persona) and returned `with_session`.
    """
    limit = check_limit(limit)
    before = check_seq(before, field_name="before")
    after = check_seq(after, field_name="after")
    if before is not None and after is not None:
        raise ValidationError({"before": "Give before or after, not both."})
    # Server-bound (chatproject/postgresql): a page's statements repeat, so they are prepared.
    with getattr(connection, "server_binding", nullcontext)():
        found = session_get_for_user(user=user, session_id=session_id)
        session = found if with_session else None
        session_pk, head_seq, last_seq, branch_path = found.pk, found.head_seq, found.last_seq, found.branch_path
        branched = bool(branch_path)

        if all_branches:
            branch_path = []  # every stored utterance, by seq
        if not branched:
            page_of = functools.partial(_plain_page, session_pk=session_pk, include_interim=include_interim)
        else:
            page_of = functools.partial(
                path_rows, _branched_page_queryset(session_pk, include_interim), branch_path=branch_path
            )
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
    # An utterance without siblings needs no entry (siblings_entry).
    siblings = {
        row.parent_seq: sorted(map(int, row.sibling_seqs.split(",")))
        for row in (rows if branched else [])
        if row.sibling_seqs and "," in row.sibling_seqs
    }
    return UtterancePage(
        session=session, utterances=rows, has_before=has_before, has_after=has_after, siblings=siblings
    )


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
    queryset = queryset.annotate(sibling_seqs=_sibling_seqs_sql(session_pk))
    return queryset.values_list(*UTTERANCE_PAGE_FIELDS, "sibling_seqs", named=True)


def _sibling_seqs_sql(session_pk) -> RawSQL:
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


@dataclass(frozen=True)
class SessionStats:
    sessions: int
    today: int
    this_week: int
    messages: int
    messages_by_role: dict[str, int]


def session_stats_for_user(*, user: User) -> SessionStats:
    """Totals from the stored counters, in one query. "Today" and "this week" (since Monday) are of
    the sessions' creation, in the server's time zone."""
    now = timezone.localtime()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start_of_week = start_of_day - timedelta(days=start_of_day.weekday())
    totals = Session.objects.filter(user=user, deleted_at__isnull=True).aggregate(
        sessions=Count("id"),
        today=Count("id", filter=Q(created_at__gte=start_of_day)),
        this_week=Count("id", filter=Q(created_at__gte=start_of_week)),
        messages=Coalesce(Sum("message_count"), 0),
        user=Coalesce(Sum("user_message_count"), 0),
        assistant=Coalesce(Sum("assistant_message_count"), 0),
        system=Coalesce(Sum("system_message_count"), 0),
    )
    return SessionStats(
        sessions=totals["sessions"],
        today=totals["today"],
        this_week=totals["this_week"],
        messages=totals["messages"],
        messages_by_role={role: totals[role] for role in Role.values},
    )


def sessions_retention_due(*, now: datetime, cap: int | None, user: User | None = None) -> QuerySet[Session]:
    """Sessions inactive (and not restored from the trash) for longer than their owner's retention
    (capped at `cap` days when given), pinned ones and the trash aside. One condition per retention
    choice, all bounded by the latest cutoff, so that the scan of session_retention_idx stops there."""
    rules = []
    for chosen in (*RETENTION_CHOICES, None):
        days = retention_days_effective(chosen=chosen, cap=cap)
        if days is not None:
            owner = Q(user__retention_days=chosen) if chosen is not None else Q(user__retention_days__isnull=True)
            rules.append((owner, now - timedelta(days=days)))
    if not rules:
        return Session.objects.none()
    condition = Q()
    for owner, cutoff in rules:
        idle = Q(last_activity_at__lt=cutoff) & (Q(restored_at__isnull=True) | Q(restored_at__lt=cutoff))
        condition |= owner & idle
    sessions = Session.objects.filter(RETAINED, last_activity_at__lt=max(cutoff for _, cutoff in rules)).filter(
        condition
    )
    return sessions if user is None else sessions.filter(user=user)


def sessions_retention_due_count(*, now: datetime, cap: int | None, user: User | None = None) -> tuple[int, int]:
    """What expire_sessions' retention would move to the trash: (sessions, utterances), two counts."""
    sessions = sessions_retention_due(now=now, cap=cap, user=user)
    return sessions.count(), Utterance.objects.filter(session__in=sessions.values("id")).count()


def trash_due_count(*, cutoff: datetime, user: User | None = None) -> tuple[int, int]:
    """Sessions moved to the trash before `cutoff` and their utterances: (sessions, utterances)."""
    sessions = Session.objects.filter(TRASH, deleted_at__lt=cutoff)
    if user is not None:
        sessions = sessions.filter(user=user)
    return sessions.count(), Utterance.objects.filter(session__in=sessions.values("id")).count()


def utterances_latest(*, session_id: uuid.UUID, limit: int) -> list[Utterance]:
    """The newest `limit` utterances, interim ones included, oldest first (the admin's change page)."""
    rows = list(Utterance.objects.filter(session_id=session_id).order_by("-seq")[:limit])
    rows.reverse()
    return rows


def sessions_totals(*, session_ids) -> tuple[int, int]:
    """How many sessions and utterances a selection holds: (sessions, utterances), two queries."""
    return Session.objects.filter(id__in=session_ids).count(), Utterance.objects.filter(
        session_id__in=session_ids
    ).count()


def sessions_totals_for_users(*, user_ids) -> tuple[int, int]:
    """How many sessions and utterances some accounts own: (sessions, utterances), two queries."""
    return Session.objects.filter(user_id__in=user_ids).count(), Utterance.objects.filter(user_id__in=user_ids).count()


def utterances_after(*, session_id: uuid.UUID, after: int, limit: int, branch_path: list) -> list[Utterance]:
    """Final utterances of the active branch (`branch_path`, Session.branch_path) with seq > after,
    oldest first: the export's pages (path_rows)."""
    queryset = Utterance.objects.filter(session_id=session_id, is_final=True)
    return path_rows(queryset, branch_path=branch_path, above=after, limit=limit, newest=False)


# The sidebar's recency groups; the page's scripts place rows in them too.
TODAY, YESTERDAY, PREVIOUS_WEEK, OLDER = "Today", "Yesterday", "Previous 7 days", "Older"


def recency_group(moment: datetime) -> str:
    """Today, Yesterday, Previous 7 days or Older, in the server's time zone."""
    today = timezone.localdate()
    day = timezone.localtime(moment).date()
    if day >= today:
        return TODAY
    if day == today - timedelta(days=1):
        return YESTERDAY
    if day > today - timedelta(days=8):
        return PREVIOUS_WEEK
    return OLDER

"""message_search_for_user: a user's final messages that match a search (GET /api/search/), best
first, a page at a time; the same answers on PostgreSQL (postgres.py) and SQLite's FTS5 (sqlite.py).

Filters (docs/search.md) come from the query's syntax (query.py) and from the caller's arguments,
combined (a tag named in both is required once; dates: the later `after`, the earlier `before`).
Tag and folder names resolve among the user's own only: another user's names mean nothing (an
unknown name matches no message). Dates are days in the current time zone, both ends included.

The answer is ranked within SEARCH_TIMEOUT_MS; a search that cannot be ranked in two thirds of it
falls back, in the last third, to the newest matches unranked (a partial answer, `partial`); when
even that is cut, SearchTooBroad.
"""

import time
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from chatproject.db.deadlines import StatementTimedOut, sqlite_deadline, statement_timeout
from conversation.models import Folder, Role, Session, Tag
from conversation.search import postgres, sqlite
from conversation.search.hits import MessageHit, MessageHitPage, SearchTooBroad, decode_cursor, encode_cursor, unmark
from conversation.search.query import fts5_expression, parse_query
from conversation.search.shape import Search

VIEWS = ("live", "pinned", "archived", "trash")
BRANCHES = ("all", "active")
PARTIAL_MESSAGE = (
    "Too many messages match these words to rank them in time: these are the newest matches. "
    "Add a word or two to rank them."
)


def message_search_for_user(
    *,
    user: User,
    q: str,
    view: str = "live",
    branch: str = "all",
    role: str | None = None,
    persona: str | None = None,
    folder: str | None = None,
    tags: list[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> MessageHitPage:
    """One page of hits; ValidationError for a bad query, filter or cursor; SearchTooBroad when not
    even the newest matches could be found in time."""
    search, terms = resolve_search(
        user=user,
        q=q,
        view=view,
        branch=branch,
        role=role,
        persona=persona,
        folder=folder,
        tags=tags or [],
        date_from=date_from,
        date_to=date_to,
        cursor=cursor,
    )
    limit = max(1, min(limit, settings.MAX_PAGE_SIZE))
    if search is None:  # only stop words, or a tag or folder the user does not have: nothing matches
        return MessageHitPage(hits=[], next_cursor=None)
    budget = settings.SEARCH_TIMEOUT_MS
    started = time.monotonic()
    try:
        rows = _run(search, terms=terms, limit=limit + 1, ranked=True, milliseconds=max(1, budget * 2 // 3))
        partial = False
    except StatementTimedOut:
        left = budget - int((time.monotonic() - started) * 1000)
        if left <= 0:
            raise SearchTooBroad from None
        try:
            rows = _run(search, terms=terms, limit=limit, ranked=False, milliseconds=left)
        except StatementTimedOut:
            raise SearchTooBroad from None
        partial = True
    more = len(rows) > limit
    rows = rows[:limit]
    sessions = Session.objects.in_bulk({row[1] for row in rows})
    hits = []
    for _id, session_id, seq, role_, created_at, rank, active, marked in rows:
        snippet, highlights = unmark(marked)
        hits.append(
            MessageHit(
                session=sessions[session_id],
                seq=seq,
                role=role_,
                created_at=created_at,
                rank=rank,
                active_branch=bool(active),
                snippet=snippet,
                highlights=highlights,
            )
        )
    next_cursor = None
    if more and not partial:
        last = rows[-1]
        next_cursor = encode_cursor(rank=last[5], created_at=last[4], utterance_id=last[0])
    return MessageHitPage(
        hits=hits, next_cursor=next_cursor, partial=partial, message=PARTIAL_MESSAGE if partial else ""
    )


def resolve_search(*, user, q, view, branch, role, persona, folder, tags, date_from, date_to, cursor):
    """The Search a request stands for and its searchable terms; (None, []) when nothing can match."""
    parsed = parse_query(q)
    if not parsed.terms:
        raise ValidationError(
            {"q": "Add a word to search for: tag:, folder:, before: and after: only narrow a search."}
        )
    if view not in VIEWS:
        raise ValidationError({"view": f"view is one of {', '.join(VIEWS)}."})
    if branch not in BRANCHES:
        raise ValidationError({"branch": f"branch is one of {', '.join(BRANCHES)}."})
    role = parsed.role if role is None else role
    if parsed.role is not None and parsed.role != role:
        return None, []  # two different roles: no message has both
    if role is not None and role not in Role.values:
        raise ValidationError({"role": f"role is one of {', '.join(Role.values)}."})
    persona = persona if persona is not None else parsed.persona
    # The calendar's first and last days bound nothing (their midnights cannot be moved past or to UTC).
    after = max((d for d in (date_from, parsed.after) if d and d > date.min), default=None)
    before = min((d for d in (date_to, parsed.before) if d and d < date.max), default=None)
    folder_ids, has_folder = [], folder is not None or bool(parsed.folders)
    if has_folder:
        folder_ids = _folder_ids(user=user, folder=folder, names=parsed.folders)
        if not folder_ids:
            return None, []
    tag_ids = []
    wanted = {name.lower() for name in [*tags, *parsed.tags]}
    if wanted:
        found = dict(Tag.objects.filter(user=user).filter(_any_name(wanted)).values_list("id", "name"))
        if len(found) < len(wanted):
            return None, []
        tag_ids = sorted(found, key=str)
    terms = parsed.searchable_terms()
    if not terms:
        return None, []
    search = Search(
        user_id=user.pk,
        terms=terms,
        view=view,
        active_only=branch == "active",
        role=role,
        after=_day_start(after) if after else None,
        before=_day_start(before + timedelta(days=1)) if before else None,
        persona=persona,
        folder_ids=folder_ids,
        tag_ids=tag_ids,
        has_folder_filter=has_folder,
        cursor=decode_cursor(cursor) if cursor else None,
    )
    return search, terms


def _any_name(names: set[str]) -> Q:
    condition = Q()
    for name in names:
        condition |= Q(name__iexact=name)
    return condition


def _folder_ids(*, user: User, folder: str | None, names: list[str]) -> list:
    """The folders named (an id from the API, names from the query: every folder of that name, in
    any case), each with its subfolders. Several folder filters: the chat is in any of them...
    unless both an id and names are given: then it must be in both (their intersection)."""
    rows = list(Folder.objects.filter(user=user).values_list("id", "parent_id", "name"))
    children: dict = {}
    for pk, parent, _ in rows:
        children.setdefault(parent, []).append(pk)

    def with_subfolders(roots) -> set:
        found, todo = set(), list(roots)
        while todo:
            pk = todo.pop()
            if pk not in found:
                found.add(pk)
                todo += children.get(pk, [])
        return found

    sets = []
    if folder is not None:
        sets.append(with_subfolders([pk for pk, _, _ in rows if str(pk) == folder.lower()]))
    if names:
        lowered = {name.lower() for name in names}
        sets.append(with_subfolders([pk for pk, _, name in rows if name.lower() in lowered]))
    chosen = set.intersection(*sets)
    return sorted(chosen, key=str)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), timezone.get_current_timezone())


def statement_and_params(search: Search, *, terms: list[str], limit: int, ranked: bool) -> tuple:
    """The search's statement for the connection's vendor and its values (the bench runs it bare)."""
    adapt = {
        "adapt_datetime": connection.ops.adapt_datetimefield_value,
        "adapt_uuid": lambda pk: Session._meta.pk.get_db_prep_value(pk, connection),
    }
    position = []
    if ranked and search.cursor:
        rank, created_at, utterance_id = search.cursor
        position = [rank, adapt["adapt_datetime"](created_at), utterance_id]
    if connection.vendor == "postgresql":
        shape = search.shape(terms=len(terms), ranked=ranked)
        filters = search.filter_params(**adapt)
        params = postgres.params_for(shape, terms=terms, filters=filters, position=position, limit=limit)
        return postgres.statement_for(shape), params
    statement = sqlite.statement_for(search.shape(terms=1, ranked=ranked))
    return statement, [fts5_expression(terms), *search.filter_params(**adapt), *position, limit]


def _run(search: Search, *, terms: list[str], limit: int, ranked: bool, milliseconds: int) -> list:
    statement, params = statement_and_params(search, terms=terms, limit=limit, ranked=ranked)
    if connection.vendor == "postgresql":
        with statement_timeout(milliseconds=milliseconds):
            rows = statement.rows(params)
        return [_typed(row) for row in rows]
    with sqlite_deadline(milliseconds=milliseconds):
        rows = statement.rows(params)
        marks = {}
        if rows:
            ids = [row[0] for row in rows]
            marks = dict(sqlite.snippets_statement(len(ids)).rows([params[0], *ids]))
    return [_typed((*row, marks.get(row[0], ""))) for row in rows]


def _typed(row) -> tuple:
    utterance_id, session_id, seq, role, created_at, rank, active, marked = row
    if isinstance(created_at, str):  # SQLite gives the column's text (or a naive datetime), in UTC
        created_at = parse_datetime(created_at)
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return utterance_id, Session._meta.pk.to_python(session_id), seq, role, created_at, float(rank), active, marked

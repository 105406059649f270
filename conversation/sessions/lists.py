"""Lists of sessions: a view's rows and pages, totals, stats and the sidebar's recency groups."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts.models import User
from chatproject.fixed_sql import FixedStatement, condition_sql
from conversation.models import ARCHIVED, LIVE, PINNED, TRASH, Persona, Role, Session, SessionTag, Tag, Utterance

# How each view is ordered (and cursor-paginated): by last activity, the trash by deletion time.
SESSION_VIEW_ORDERING = {
    "live": ("-last_activity_at", "-id"),
    "pinned": ("-last_activity_at", "-id"),
    "archived": ("-last_activity_at", "-id"),
    "trash": ("-deleted_at", "-id"),
}


# session_page_for_user's `folder` for the sessions in no folder (the API's `?folder=none`).
NO_FOLDER = "none"

SESSION_VIEWS = {"live": LIVE, "pinned": PINNED, "archived": ARCHIVED, "trash": TRASH}


# What a list shows of each session (session_list_for_user's rows), and of its persona.
SESSION_LIST_FIELDS = (
    "id",
    "title",
    "title_source",
    "preview",
    "created_at",
    "last_activity_at",
    "ended_at",
    "message_count",
    "head_seq",
    "pinned_at",
    "archived_at",
    "deleted_at",
    "folder_id",
    "tag_names",
)


SESSION_LIST_KEYS = (*SESSION_LIST_FIELDS, "persona_slug", "persona_name")


def session_list_for_user(
    *, user: User, persona: str | None = None, view: str = "live", tag: str | None = None, folder: Any = None
) -> QuerySet[dict]:
    """The sessions of one view in a total order (SESSION_VIEW_ORDERING, id as the tie-break), ready
    for keyset pagination.

    Views (SESSION_VIEWS): "live" (not archived, not in the trash; pinned ones included), "pinned",
    "archived" (newest activity first), "trash" (newest deletion first). Rows are dicts of what a
    list shows: id, title, title_source, preview, created_at, last_activity_at, ended_at,
    message_count, pinned_at, archived_at, deleted_at, head_seq, folder_id, tag_names, persona_slug
    and persona_name. A list
    builds no model instances (two per row, with the persona): it reads twice as fast
    (bench/domain.py). Each view reads its own
    partial index (session_<view>_activity_idx, session_trash_idx). The API and the pages read it a
    page at a time through session_page_for_user, its fixed statement.
    """
    queryset = Session.objects.filter(SESSION_VIEWS[view], user=user)
    if persona:
        queryset = queryset.filter(persona__slug=persona)
    if tag:  # the user's tag of that name in any case (docs/tags.md)
        tagged = SessionTag.objects.alias(name=Lower("tag__name")).filter(tag__user=user, name=Lower(Value(tag)))
        queryset = queryset.filter(id__in=tagged.values("session_id"))
    if folder is not None:
        queryset = queryset.filter(folder=None if folder == NO_FOLDER else folder)
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
    tag: str | None = None,
    folder: Any = None,
) -> list[dict]:
    """One page of session_list_for_user's rows, in the view's order (newest first) or its reverse,
    past a position on the view's sort column (SESSION_VIEW_ORDERING[view][0], strictly older or
    newer than the value, a datetime or its text as DRF's cursors carry it): one fixed statement
    on the view's partial index, the same query as the queryset's page. Every API list call and
    sidebar page makes it; through the ORM, building the query cost more than running it.
    ValidationError for a position that is not a time. `folder`: one folder's sessions (its id),
    those in no folder (NO_FOLDER), or any (None); on the live view, session_folder_activity_idx."""
    sort_field = Session._meta.get_field(SESSION_VIEW_ORDERING[view][0].lstrip("-"))
    compare, position = ("<", older_than) if older_than is not None else (">", newer_than)
    params = [user.pk]
    if persona:
        params.append(persona)
    if tag:
        params += [user.pk, tag]
    folder_term = None if folder is None else "none" if folder == NO_FOLDER else "id"
    if folder_term == "id":
        params.append(Session._meta.get_field("folder").get_db_prep_value(folder, connection))
    if position is not None:
        params.append(sort_field.get_db_prep_value(position, connection))
    else:
        compare = None
    statement = session_page_statement(
        view=view, persona=bool(persona), compare=compare, newest_first=newest_first, tag=bool(tag), folder=folder_term
    )
    rows = statement.rows([*params, limit, offset])
    return [dict(zip(SESSION_LIST_KEYS, row, strict=True)) for row in rows]


_SESSION_PAGES: dict[tuple, FixedStatement] = {}


def session_page_statement(
    *, view: str, persona: bool, compare: str | None, newest_first: bool, tag: bool = False, folder: str | None = None
) -> FixedStatement:
    """session_page_for_user's statement for one shape of page; its values, in order: the user's
    id, the persona's slug (`persona`), the user's id and the tag's name (`tag`), the folder's id
    (`folder` "id"; "none": in no folder), the position (`compare`: "<", ">" or None), limit, offset."""
    key = (view, persona, compare, newest_first, tag, folder)
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


def _session_page_sql(
    quote, view: str, persona: bool, compare: str | None, newest_first: bool, tag: bool, folder: str | None
) -> str:
    session, personas = quote(Session._meta.db_table), quote(Persona._meta.db_table)
    columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for table, field in _session_page_columns())
    # The view's condition as the ORM writes it from models.LIVE and the others, so that it matches
    # the partial index's own (the index is built from the same Q).
    condition = condition_sql(Session.objects.filter(SESSION_VIEWS[view]))
    fields = Session._meta.get_field
    terms = [f"{session}.{quote(fields('user').column)} = %s", f"({condition})"]
    if persona:
        terms.append(f"{personas}.{quote(Persona._meta.get_field('slug').column)} = %s")
    if tag:
        terms.append(f"{session}.{quote(Session._meta.pk.column)} IN ({_tagged_sql(quote)})")
    if folder:
        terms.append(f"{session}.{quote(fields('folder').column)} {'= %s' if folder == 'id' else 'IS NULL'}")
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


def _tagged_sql(quote) -> str:
    """The ids of the sessions with the user's tag of a name in any case (values: user id, name):
    the tag by tag_user_name_unique, its sessions by sessiontag_tag_idx."""
    links, tags = quote(SessionTag._meta.db_table), quote(Tag._meta.db_table)
    link, tag = SessionTag._meta.get_field, Tag._meta.get_field
    return (
        f"SELECT {links}.{quote(link('session').column)} FROM {links}"  # noqa: S608 - names from the models
        f" INNER JOIN {tags} ON {links}.{quote(link('tag').column)} = {tags}.{quote(Tag._meta.pk.column)}"
        f" WHERE {tags}.{quote(tag('user').column)} = %s AND LOWER({tags}.{quote(tag('name').column)}) = LOWER(%s)"
    )


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


def sessions_totals(*, session_ids) -> tuple[int, int]:
    """How many sessions and utterances a selection holds: (sessions, utterances), two queries."""
    return Session.objects.filter(id__in=session_ids).count(), Utterance.objects.filter(
        session_id__in=session_ids
    ).count()


def sessions_totals_for_users(*, user_ids) -> tuple[int, int]:
    """How many sessions and utterances some accounts own: (sessions, utterances), two queries."""
    return Session.objects.filter(user_id__in=user_ids).count(), Utterance.objects.filter(user_id__in=user_ids).count()


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

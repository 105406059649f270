"""The one way session lists are paged, by the API and by the chat page's sidebar: DRF's cursor
pagination on (last activity, id), stable while sessions are added (a cursor is a position, not
an offset), one query on the view's partial index whatever the page's depth (session_list's pages
are fixed statements)."""

import functools
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from accounts.models import User
from chatproject.api.drf import CursorPaginatorSource
from conversation.sessions.lists import SESSION_VIEW_ORDERING, session_page_for_user


def session_list(
    *, user: User, view: str = "live", persona: str | None = None, tag: str | None = None, folder=None
) -> CursorPaginatorSource:
    """One of a user's list views, as DRF's CursorPagination takes a queryset: its pages are fixed
    statements (sessions.lists.session_page_for_user); the queryset it stands for is
    sessions.lists.session_list_for_user's."""
    return CursorPaginatorSource(
        read_page=functools.partial(_session_page, user=user, view=view, persona=persona, tag=tag, folder=folder)
    )


def _session_page(**page) -> list[dict]:
    try:
        return session_page_for_user(**page)
    except DjangoValidationError:  # a position that is not a time: a cursor not made here
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from None


INVALID_CURSOR = "Invalid cursor: use the next or previous link as given."


class SessionCursorPagination(CursorPagination):
    ordering = ("-last_activity_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = settings.MAX_PAGE_SIZE

    def __init__(self, *, ordering: tuple[str, ...] | None = None):
        if ordering is not None:  # the trash pages by deletion time (SESSION_VIEW_ORDERING)
            self.ordering = ordering

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None


def session_page_for_page(
    *, request: HttpRequest, user: User, page_size: int, view: str = "live", folder=None
) -> tuple[list[dict], str | None]:
    """One page of one of the user's lists for a page (`?cursor=` as the API takes it): the rows and
    the cursor of the next page, or None at the end. ValidationError for a bad cursor. `folder`: as
    session_page_for_user's."""
    paginator = SessionCursorPagination(ordering=SESSION_VIEW_ORDERING[view])
    paginator.page_size = page_size
    try:
        rows = paginator.paginate_queryset(session_list(user=user, view=view, folder=folder), Request(request))
    except ValidationError:
        raise DjangoValidationError({"cursor": "Invalid cursor."}) from None
    next_link = paginator.get_next_link()
    return rows, parse_qs(urlsplit(next_link).query)["cursor"][0] if next_link else None

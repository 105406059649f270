"""The one way session lists are paged, by the API and by the chat page's sidebar: DRF's cursor
pagination on (last activity, id), stable while sessions are added (a cursor is a position, not
an offset), one query on the view's partial index whatever the page's depth (a fixed statement:
SessionList)."""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from accounts.models import User
from conversation.sessions.lists import SESSION_VIEW_ORDERING, session_page_for_user


@dataclass(frozen=True)
class SessionList:
    """One of a user's list views, as DRF's CursorPagination uses a queryset: put in the view's order
    or its reverse (order_by), past the cursor's position on the sort column (one filter), then
    sliced. The slice is one fixed statement (session_page_for_user); the queryset it
    stands for is session_list_for_user's."""

    user: User
    view: str = "live"
    persona: str | None = None
    newest_first: bool = True
    older_than: Any = None
    newer_than: Any = None

    def order_by(self, *ordering: str) -> "SessionList":
        return replace(self, newest_first=ordering[0].startswith("-"))

    def filter(self, **lookup) -> "SessionList":
        ((name, position),) = lookup.items()
        if name.endswith("__lt"):
            return replace(self, older_than=position, newer_than=None)
        return replace(self, older_than=None, newer_than=position)

    def __getitem__(self, page: slice) -> list[dict]:
        try:
            return session_page_for_user(
                user=self.user,
                view=self.view,
                persona=self.persona,
                newest_first=self.newest_first,
                older_than=self.older_than,
                newer_than=self.newer_than,
                offset=page.start or 0,
                limit=page.stop - (page.start or 0),
            )
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
    *, request: HttpRequest, user: User, page_size: int, view: str = "live"
) -> tuple[list[dict], str | None]:
    """One page of one of the user's lists for a page (`?cursor=` as the API takes it): the rows and
    the cursor of the next page, or None at the end. ValidationError for a bad cursor."""
    paginator = SessionCursorPagination(ordering=SESSION_VIEW_ORDERING[view])
    paginator.page_size = page_size
    try:
        rows = paginator.paginate_queryset(SessionList(user=user, view=view), Request(request))
    except ValidationError:
        raise DjangoValidationError({"cursor": "Invalid cursor."}) from None
    next_link = paginator.get_next_link()
    return rows, parse_qs(urlsplit(next_link).query)["cursor"][0] if next_link else None

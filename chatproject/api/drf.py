"""DRF's internals the API relies on, named: what its cursor paginator does with a queryset, and the
Django request inside its Request."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request


@dataclass(frozen=True)
class CursorPaginatorSource:
    """What DRF's CursorPagination takes for a queryset, over a function that reads one page: for a
    list whose pages are not a queryset's (a fixed statement's, say).

    CursorPagination.paginate_queryset uses its queryset three ways, in order: order_by(*ordering)
    with the paginator's ordering or its reverse; then, when the cursor holds a position,
    filter(**{f"{field}__lt": position}) (or __gt) on the first ordering field; then one slice
    [offset:offset + page_size + 1], read as a list. The position of a row is read by key when rows
    are dicts. `read_page(newest_first=, older_than=, newer_than=, offset=, limit=)` gives the rows
    in the order asked (descending on the sort field when newest_first), past the position given.
    """

    read_page: Callable[..., list]
    newest_first: bool = True
    older_than: Any = None
    newer_than: Any = None

    def order_by(self, *ordering: str) -> "CursorPaginatorSource":
        return replace(self, newest_first=ordering[0].startswith("-"))

    def filter(self, **lookup) -> "CursorPaginatorSource":
        ((name, position),) = lookup.items()
        if name.endswith("__lt"):
            return replace(self, older_than=position, newer_than=None)
        return replace(self, older_than=None, newer_than=position)

    def __getitem__(self, page: slice) -> list:
        return self.read_page(
            newest_first=self.newest_first,
            older_than=self.older_than,
            newer_than=self.newer_than,
            offset=page.start or 0,
            limit=page.stop - (page.start or 0),
        )


def django_request(request: Request) -> HttpRequest:
    """The Django HttpRequest inside DRF's Request. DRF's Request passes the reading of attributes on
    to it, but neither setting them nor its type: for what must be set on the request itself (upload
    handlers; django-axes' marks, which its middleware reads), or known of its type (ASGI or WSGI)."""
    return request._request

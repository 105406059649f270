"""chatproject.api.drf: DRF's cursor paginator over a page-reading function, and Django's request
inside DRF's."""

from django.test import RequestFactory
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from chatproject.api.drf import CursorPaginatorSource, django_request

ROWS = [{"at": f"t{n:02}", "id": n} for n in range(1, 8)]  # oldest first


class Paginator(CursorPagination):
    ordering = ("-at", "-id")
    page_size = 3


def read_page(*, newest_first, older_than, newer_than, offset, limit):
    rows = sorted(ROWS, key=lambda row: row["at"], reverse=newest_first)
    if older_than is not None:
        rows = [row for row in rows if row["at"] < older_than]
    if newer_than is not None:
        rows = [row for row in rows if row["at"] > newer_than]
    return rows[offset : offset + limit]


def page(url: str) -> tuple[list[int], str | None, str | None]:
    paginator = Paginator()
    rows = paginator.paginate_queryset(CursorPaginatorSource(read_page=read_page), Request(RequestFactory().get(url)))
    return [row["id"] for row in rows], paginator.get_next_link(), paginator.get_previous_link()


def test_drfs_cursor_paginator_walks_the_pages_forward_and_back():
    first, next_link, previous_link = page("/rows/")
    assert (first, previous_link) == ([7, 6, 5], None)
    second, next_link, previous_link = page(next_link)
    assert second == [4, 3, 2]
    last, end, back = page(next_link)
    assert (last, end) == ([1], None)
    assert page(back)[0] == [4, 3, 2]
    assert page(previous_link)[0] == [7, 6, 5]


def test_the_paginator_asks_for_the_order_then_the_position_then_one_slice():
    asked = []

    def recording(**page):
        asked.append(page)
        return read_page(**page)

    paginator = Paginator()
    next_link = page("/rows/")[1]
    paginator.paginate_queryset(CursorPaginatorSource(read_page=recording), Request(RequestFactory().get(next_link)))
    assert asked == [{"newest_first": True, "older_than": "t05", "newer_than": None, "offset": 0, "limit": 4}]


def test_drfs_request_reads_djangos_attributes_but_sets_its_own():
    http = RequestFactory().get("/")
    request = Request(http)
    assert django_request(request) is http
    http.marked = "on django's"
    assert request.marked == "on django's"
    request.upload_handlers = []
    assert http.upload_handlers != []

"""Every endpoint makes the same number of queries whatever the size of the data it touches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.sessions.create import session_create
from tests.helpers import say


def grow(owner, session, *, sessions: int, messages: int) -> None:
    for n in range(sessions):
        session_create(user=owner, title=f"extra zebra {n}")
    if messages:
        say(owner, session, *[f"m{n}" for n in range(messages)])


def count(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
        if response.streaming:
            b"".join(list(response))
    assert response.status_code < 300, response.status_code
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "make_call",
    [
        lambda api, s: lambda: api.get(f"/api/sessions/{s.pk}/export/"),
        lambda api, s: lambda: api.get(f"/api/sessions/{s.pk}/export/?format=markdown"),
        lambda api, s: lambda: api.post(f"/api/sessions/{s.pk}/clear/"),
        lambda api, s: lambda: api.get("/api/personas/"),
        lambda api, s: lambda: api.get("/api/stats/"),
        lambda api, s: lambda: api.get("/api/sessions/?q=zebra"),
        lambda api, s: lambda: api.patch(f"/api/sessions/{s.pk}/", {"title": "t"}, format="json"),
        lambda api, s: lambda: api.get("/api/sessions/?view=archived"),
    ],
    ids=["export-json", "export-markdown", "clear", "personas", "stats", "search", "rename", "archived"],
)
def test_the_count_does_not_grow_with_the_data(api, owner, session, make_call):
    say(owner, session, "a zebra crossing")
    small = count(make_call(api, session))
    grow(owner, session, sessions=30, messages=300)
    assert count(make_call(api, session)) == small


def test_save_makes_the_same_number_of_queries_for_3_and_300_messages(api, owner):
    def payload(n: int) -> dict:
        return {"messages": [{"role": "user", "text": f"m{i}", "timestamp": 1763726400000 + i} for i in range(n)]}

    small = count(lambda: api.post("/api/sessions/save/", payload(3), format="json"))
    assert count(lambda: api.post("/api/sessions/save/", payload(300), format="json")) == small

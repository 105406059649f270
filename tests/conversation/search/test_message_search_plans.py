"""PostgreSQL's plans for message searches: no filter makes one scan the utterances; a partial
answer walks the user's newest messages in order (utterance_user_recent_idx)."""

import pytest
from django.db import connection

from conversation.search.messages import resolve_search, statement_and_params
from conversation.sessions.create import session_create
from tests.conversation.search.library import tag
from tests.helpers import plan_of, say


def plan(user, q: str, *, ranked: bool = True, **filters) -> str:
    arguments = {"view": "live", "branch": "all", "role": None, "persona": None, "folder": None, "tags": []}
    arguments |= {"date_from": None, "date_to": None, "cursor": None} | filters
    search, terms = resolve_search(user=user, q=q, **arguments)
    statement, params = statement_and_params(search, terms=terms, limit=21, ranked=ranked)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversation_session")
    return plan_of("conversation_utterance", statement.text(), params)


@pytest.fixture
def library(owner, outsider):
    """Many chats, a rare word in a few: the case an index is for."""
    for n in range(120):
        user = owner if n % 2 else outsider
        chat = session_create(user=user, title=f"chat {n}")
        say(user, chat, *[f"tea number {n} and {m}" for m in range(5)], f"kettle {n}" if n % 20 == 1 else "pot")
        if n % 3 == 0 and user == owner:
            tag(owner, chat, "tea")


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"role": "user"},
        {"branch": "active"},
        {"q": "kettle tag:tea after:2020-01-01 role:user", "view": "archived"},
    ],
)
def test_no_filter_makes_the_search_scan_the_utterances(owner, library, filters):
    q = filters.pop("q", "kettle")
    # On a test-sized table the planner may read the user's rows on utterance_user_recent_idx, or
    # the few chats a filter keeps, rather than the text index (bench/search.py measures the
    # full-size case); never the whole table.
    assert "Seq Scan on conversation_utterance" not in plan(owner, q, **filters)


def test_a_partial_answer_never_scans_the_utterances(owner, library):
    # Which index the planner takes for the newest matches depends on the table's statistics
    # (utterance_user_recent_idx at full size: bench/search.py); a whole-table read it never takes.
    assert "Seq Scan on conversation_utterance" not in plan(owner, "kettle", ranked=False)

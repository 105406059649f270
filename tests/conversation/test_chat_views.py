import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conversation.sessions.create import session_create, session_update
from tests.helpers import say


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_chat_page_makes_the_same_number_of_queries_whatever_is_shown(owner, owner_client):
    first = session_create(user=owner)
    say(owner, first, "hello")
    few_home, few_session = queries_for(owner_client, "/"), queries_for(owner_client, f"/c/{first.pk}/")
    for n in range(60):
        other = session_create(user=owner, persona="creative-writer" if n % 2 else None)
        say(owner, other, f"chat {n}")
    say(owner, first, *[f"more {n}" for n in range(80)], role="assistant")
    assert queries_for(owner_client, "/") == few_home
    assert queries_for(owner_client, f"/c/{first.pk}/") == few_session


def test_it_shows_the_latest_50_messages_and_marks_older_ones(owner, owner_client, session):
    say(owner, session, *[f"message {n}" for n in range(1, 61)])
    body = owner_client.get(f"/c/{session.pk}/").content.decode()
    assert 'data-seq="60"' in body
    assert 'data-seq="11"' in body
    assert 'data-seq="10"' not in body
    assert '"hasOlder": true' in body


def test_another_users_chat_is_404(outsider_client, session):
    assert outsider_client.get(f"/c/{session.pk}/").status_code == 404
    assert outsider_client.get(f"/c/{session.pk}/messages/").status_code == 404
    assert outsider_client.get(f"/c/{uuid.uuid4()}/").status_code == 404


def test_the_banner_says_when_no_model_is_configured(owner_client, settings):
    settings.ASSISTANT_BASE_URL = ""
    assert 'data-testid="offline-banner"' in owner_client.get("/").content.decode()
    settings.ASSISTANT_BASE_URL = "http://127.0.0.1:11434"
    assert 'data-testid="offline-banner"' not in owner_client.get("/").content.decode()


def test_assistant_markdown_is_rendered_and_sanitized(owner, owner_client, session):
    say(owner, session, "**bold** <script>alert(1)</script>\n\n```\ncode <b>\n```", role="assistant")
    say(owner, session, "<b>not bold</b>")
    body = owner_client.get(f"/c/{session.pk}/").content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script>alert(1)</script>" not in body
    assert "<code>code &lt;b&gt;" in body
    assert "&lt;b&gt;not bold&lt;/b&gt;" in body


def test_the_messages_fragment_pages_by_seq(owner, owner_client, session):
    say(owner, session, *[f"m{n}" for n in range(1, 11)])
    response = owner_client.get(f"/c/{session.pk}/messages/", {"after": 7})
    assert response.content.decode().count('class="message user"') == 3
    assert response["X-Has-After"] == "0"
    older = owner_client.get(f"/c/{session.pk}/messages/", {"before": 4, "limit": 2})
    assert 'data-seq="2"' in older.content.decode()
    assert older["X-Has-Before"] == "1"
    assert owner_client.get(f"/c/{session.pk}/messages/", {"limit": 0}).status_code == 400


def test_the_sidebar_fragment_walks_every_session_once(owner, owner_client):
    made = {str(session_create(user=owner).pk) for _ in range(120)}
    seen: list[str] = []
    cursor = None
    while True:
        response = owner_client.get("/sidebar/", {"cursor": cursor} if cursor else {})
        seen += [part.split('"')[0] for part in response.content.decode().split('data-id="')[1:]]
        cursor = response["X-Next-Cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 120
    assert set(seen) == made


@pytest.mark.parametrize("cursor", ["garbage", "2026-01-01T00:00:00|not-a-uuid"])
def test_a_bad_sidebar_cursor_is_400(owner_client, cursor):
    assert owner_client.get("/sidebar/", {"cursor": cursor}).status_code == 400


def test_the_sidebar_groups_sessions_by_recency(owner, owner_client):
    from datetime import timedelta

    from django.utils import timezone

    from conversation.models import Session

    old = session_create(user=owner, title="Ancient")
    Session.objects.filter(pk=old.pk).update(last_activity_at=timezone.now() - timedelta(days=40))
    session_create(user=owner, title="Fresh")
    body = owner_client.get("/").content.decode()
    assert body.index("Today") < body.index("Fresh") < body.index("Older") < body.index("Ancient")


def test_the_sidebar_names_each_session_and_marks_the_open_one(owner, owner_client):
    named = session_create(user=owner, title="Bread <b>recipes</b>")
    session_create(user=owner)
    body = owner_client.get(f"/c/{named.pk}/").content.decode()
    sidebar = body[body.index('id="sessions"') :]
    assert '<span class="session-title">New chat</span>' in sidebar
    assert '<span class="session-title">Bread &lt;b&gt;recipes&lt;/b&gt;</span>' in sidebar
    assert f'class="session-item current" data-id="{named.pk}"' in sidebar


def test_the_sidebar_leaves_archived_chats_out_and_they_still_open(owner, owner_client):
    kept = session_create(user=owner, title="Kept")
    archived = session_create(user=owner, title="Put away")
    session_update(user=owner, session_id=archived.pk, archived=True)
    sidebar = owner_client.get("/").content.decode().split('id="sessions"', 1)[1]
    assert f'data-id="{kept.pk}"' in sidebar
    assert f'data-id="{archived.pk}"' not in sidebar
    assert "Put away" in owner_client.get(f"/c/{archived.pk}/").content.decode()


def test_a_page_renders_at_most_its_character_budget_and_offers_the_rest(owner, owner_client, session, settings):
    settings.MESSAGES_PAGE_MAX_CHARS = 100
    say(owner, session, *[f"{n}" * 40 for n in range(1, 7)], role="assistant")
    body = owner_client.get(f"/c/{session.pk}/").content.decode()
    assert body.count('class="message assistant"') == 2
    assert '"hasOlder": true' in body
    older = owner_client.get(f"/c/{session.pk}/messages/", {"before": 5})
    assert older.content.decode().count('class="message assistant"') == 2
    assert older["X-Has-Before"] == "1"


def test_pinned_chats_have_their_own_group_on_top_and_leave_the_recency_list(owner, owner_client):
    pinned = session_create(user=owner, title="Pinned one")
    session_create(user=owner, title="Plain one")
    session_update(user=owner, session_id=pinned.pk, pinned=True)
    body = owner_client.get("/").content.decode()
    group = body[body.index('id="pinned-group"') : body.index('id="sessions"')]
    recency = body[body.index('id="sessions"') :]
    assert "Pinned one" in group
    assert "Plain one" not in group
    assert "Pinned one" not in recency.split("</ul>")[0]
    assert "Plain one" in recency


def test_the_pinned_groups_next_page_comes_from_the_sidebar_fragment(owner, owner_client):
    for n in range(3):
        session = session_create(user=owner, title=f"pinned {n}")
        session_update(user=owner, session_id=session.pk, pinned=True)
    session_create(user=owner, title="not pinned")
    response = owner_client.get("/sidebar/", {"view": "pinned"})
    body = response.content.decode()
    assert body.count('class="session-item') == 3
    assert "not pinned" not in body
    assert "group-heading" not in body


@pytest.mark.parametrize("query", ["before=9223372036854775808", "after=99999999999999999999999", "before=1e3"])
def test_the_messages_fragment_refuses_a_seq_past_64_bits_with_a_400(owner, owner_client, session, query):
    say(owner, session, "m1")
    response = owner_client.get(f"/c/{session.pk}/messages/?{query}")
    assert response.status_code == 400
    assert b"must be" in response.content


def test_no_chats_yet_is_said_only_when_there_is_no_chat_pinned_or_not(owner, owner_client):
    def note() -> str:
        body = owner_client.get("/").content.decode()
        return body.split('id="sidebar-more"', 1)[1].split("</div>", 1)[0]

    assert "No chats yet." in note()
    pinned = session_create(user=owner, title="Pinned one")
    session_update(user=owner, session_id=pinned.pk, pinned=True)
    assert "No chats yet." not in note()


def test_recency_headings_are_list_items_holding_a_heading(owner, owner_client):
    session_create(user=owner, title="Today's")
    body = owner_client.get("/").content.decode()
    assert '<li class="group-heading"><h2>Today</h2></li>' in body
    assert 'role="presentation"' not in body

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from conversation.models import Session, SessionAudit, Utterance
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_restore, session_trash, sessions_end
from tests.factories import UserFactory
from tests.helpers import say

CHANGELIST = reverse("admin:conversation_session_changelist")


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def chats(owner, outsider):
    bread = session_create(user=owner, title="Bread")
    say(owner, bread, "one", "two")
    story = session_create(user=outsider, title="Story", persona="creative-writer")
    say(outsider, story, "three")
    sessions_end(session_ids=[story.pk])
    return {"bread": bread, "story": story}


def changelist_titles(response) -> list[str]:
    return [row.display_title for row in response.context["cl"].result_list]


def test_the_changelist_shows_sessions_with_counts(staff_client, chats):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    assert sorted(changelist_titles(response)) == ["Bread", "Story"]
    assert "owner@example.com" in response.content.decode()


def test_non_staff_are_refused(owner_client, chats):
    response = owner_client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("persona__id__exact={creative}", ["Story"]),
        ("state=open", ["Bread"]),
        ("state=ended", ["Story"]),
        ("q=outsider@example.com", ["Story"]),
        ("q=bread", ["Bread"]),
    ],
)
def test_filters_and_search(staff_client, chats, query, expected):
    creative = chats["story"].persona_id
    response = staff_client.get(f"{CHANGELIST}?{query.format(creative=creative)}")
    assert changelist_titles(response) == expected


def test_the_activity_filter(staff_client, chats):
    Session.objects.filter(pk=chats["story"].pk).update(last_activity_at=timezone.now() - timedelta(days=40))
    since = timezone.now() - timedelta(days=7)
    response = staff_client.get(CHANGELIST, {"last_activity_at__gte": since.isoformat()})
    assert changelist_titles(response) == ["Bread"]


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CHANGELIST).status_code == 200
    return len(captured.captured_queries)


def test_the_changelist_makes_the_same_number_of_queries_at_10_and_200_sessions(staff_client):
    users = [UserFactory() for _ in range(5)]
    for n in range(10):
        session_create(user=users[n % 5], persona="technical-support" if n % 2 else None)
    at_10 = changelist_queries(staff_client)
    for n in range(190):
        session_create(user=users[n % 5], persona="creative-writer" if n % 3 else None)
    assert changelist_queries(staff_client) == at_10


def test_the_change_page_shows_the_latest_50_utterances_read_only(staff_client, owner, session):
    say(owner, session, *[f"message number {n}" for n in range(1, 61)])
    response = staff_client.get(reverse("admin:conversation_session_change", args=[session.pk]))
    body = response.content.decode()
    assert "message number 60" in body
    assert "message number 11<" in body
    assert "message number 10<" not in body
    assert 'name="message_count"' not in body


def test_delete_asks_for_confirmation_with_counts_then_deletes(staff_client, chats):
    data = {"action": "delete_sessions", ACTION_CHECKBOX_NAME: [str(chats["bread"].pk)]}
    response = staff_client.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "1 session and 2 utterances will be deleted" in " ".join(response.content.decode().split())
    assert Session.objects.filter(pk=chats["bread"].pk).exists()

    response = staff_client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert "Deleted 1 sessions and 2 utterances." in response.content.decode()
    assert not Session.objects.filter(pk=chats["bread"].pk).exists()
    assert Utterance.objects.count() == 1


def test_move_to_trash_asks_with_counts_then_moves_and_leaves_audit_rows(staff_client, chats, owner):
    data = {"action": "trash_sessions", ACTION_CHECKBOX_NAME: [str(chats["bread"].pk)]}
    response = staff_client.post(CHANGELIST, data)
    assert "1 session (holding 2 utterances) will go to their owners' trash" in " ".join(
        response.content.decode().split()
    )
    response = staff_client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert "Moved 1 sessions to the trash" in response.content.decode()
    chats["bread"].refresh_from_db()
    assert chats["bread"].deleted_at is not None
    [row] = SessionAudit.objects.all()
    assert (row.action, row.cause, row.owner_id, row.utterance_count) == ("trash", "admin", owner.pk, 2)
    assert session_restore(user=owner, session_id=chats["bread"].pk).deleted_at is None


def test_a_permanent_delete_in_the_admin_is_audited_with_the_staff_member(staff_client, chats, owner):
    data = {"action": "delete_sessions", ACTION_CHECKBOX_NAME: [str(chats["bread"].pk)], "confirmed": "yes"}
    staff_client.post(CHANGELIST, data)
    [row] = SessionAudit.objects.all()
    staff = User.objects.get(email="staff@example.com")
    assert (row.action, row.cause, row.actor_id, row.owner_id) == ("purge", "admin", staff.pk, owner.pk)


@pytest.mark.parametrize(("view", "expected"), [("live", ["Story"]), ("archived", []), ("trash", ["Bread"])])
def test_the_list_filter(staff_client, chats, owner, view, expected):
    session_trash(user=owner, session_id=chats["bread"].pk)
    assert changelist_titles(staff_client.get(CHANGELIST, {"list": view})) == expected


def test_the_audit_rows_are_read_only_and_hold_no_text(staff_client, chats, owner):
    session_trash(user=owner, session_id=chats["bread"].pk)
    url = reverse("admin:conversation_sessionaudit_changelist")
    response = staff_client.get(url)
    assert response.status_code == 200
    assert str(chats["bread"].pk) in response.content.decode()
    assert "one" not in [f.name for f in SessionAudit._meta.get_fields()]
    row = SessionAudit.objects.get()
    assert staff_client.get(reverse("admin:conversation_sessionaudit_change", args=[row.pk])).status_code == 200
    assert staff_client.post(reverse("admin:conversation_sessionaudit_delete", args=[row.pk])).status_code == 403
    assert staff_client.get(reverse("admin:conversation_sessionaudit_add")).status_code == 403


def test_end_asks_for_confirmation_then_ends(staff_client, chats):
    data = {"action": "end_sessions", ACTION_CHECKBOX_NAME: [str(chats["bread"].pk)]}
    response = staff_client.post(CHANGELIST, data)
    assert "will be marked ended" in response.content.decode()
    staff_client.post(CHANGELIST, {**data, "confirmed": "yes"})
    chats["bread"].refresh_from_db()
    assert chats["bread"].ended_at is not None


def test_actions_are_refused_to_non_staff(owner_client, chats):
    response = owner_client.post(
        CHANGELIST, {"action": "delete_sessions", ACTION_CHECKBOX_NAME: [str(chats["bread"].pk)], "confirmed": "yes"}
    )
    assert response.status_code == 302
    assert Session.objects.filter(pk=chats["bread"].pk).exists()


def test_persona_and_utterance_admins_render(staff_client, chats):
    assert staff_client.get(reverse("admin:conversation_persona_changelist")).status_code == 200
    response = staff_client.get(reverse("admin:conversation_utterance_changelist"))
    assert response.status_code == 200
    utterance = Utterance.objects.first()
    page = staff_client.get(reverse("admin:conversation_utterance_change", args=[utterance.pk]))
    assert page.status_code == 200
    assert 'name="text"' not in page.content.decode()


def test_a_sessions_owner_cannot_be_changed(staff_client, chats, outsider):
    bread = chats["bread"]
    response = staff_client.post(
        reverse("admin:conversation_session_change", args=[bread.pk]),
        {"user": outsider.pk, "title": "Renamed", "persona": bread.persona_id, "metadata": "{}"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    bread.refresh_from_db()
    assert bread.title == "Renamed"
    assert bread.user.email == "owner@example.com"


def test_a_title_given_in_the_admin_is_a_persons(staff_client, chats, owner):
    bread = chats["bread"]
    changed = staff_client.post(
        reverse("admin:conversation_session_change", args=[bread.pk]),
        {"user": owner.pk, "title": "Renamed", "persona": bread.persona_id, "metadata": "{}"},
    )
    added = staff_client.post(
        reverse("admin:conversation_session_add"),
        {"user": owner.pk, "title": "Added", "persona": bread.persona_id, "metadata": "{}"},
    )
    assert (changed.status_code, added.status_code) == (302, 302), added.content.decode()[:2000]
    titles = dict(Session.objects.filter(user=owner).values_list("title", "title_source"))
    assert titles == {"Renamed": "user", "Added": "user"}

"""The shared page /s/<id>/ through HTTP: the access matrix, nothing beyond the snapshot, the
password form and its lockout, views, headers, and its fixed number of queries."""

import re

import pytest
from django.test import Client

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.lifecycle import session_trash
from sharing.models import Share
from sharing.services import share_create
from tests.factories import UserFactory
from tests.sharing.helpers import branched_chat, chat
from tests.sharing.test_share_for_viewer import EXPECTED, NAMED, STATES, link

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("audience", EXPECTED)
def test_every_viewer_gets_the_designed_status_in_every_state(owner, outsider, audience):
    clients = {
        "anonymous": Client(),
        "other": signed_in(outsider),
        "named": signed_in(UserFactory(email=NAMED)),
        "owner": signed_in(owner),
    }
    answers = dict.fromkeys(clients, ())
    for state in STATES:
        share = link(owner, audience=audience, state=state)
        for name, client in clients.items():
            if state == "wrong password":
                response = client.post(f"/s/{share.pk}/", {"password": "wrong one"})
            else:
                response = client.get(f"/s/{share.pk}/")
            answers[name] = (*answers[name], response.status_code)
    assert answers == EXPECTED[audience]


def test_nothing_beyond_the_snapshot_reaches_the_page(owner):
    session = branched_chat(owner)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="system", text="SYSTEM-TEXT")])
    share = share_create(user=owner, session_id=session.pk, display_name="Olive")
    page = Client().get(f"/s/{share.pk}/").content.decode()
    assert "New branch question" in page
    assert "New branch answer" in page
    assert "Olive" in page
    for secret in (
        "Old branch",
        "meta-value",
        "SYSTEM-TEXT",
        owner.email,
        "Olive Owner",
        str(session.pk),
        session.persona.system_prompt,
    ):
        assert secret not in page


def test_the_page_renders_assistant_markdown_safely_and_user_text_as_text(owner):
    session = chat(owner, texts=("<b>not bold</b>", "About **an hour**. <script>alert(1)</script>"))
    page = Client().get(f"/s/{share_create(user=owner, session_id=session.pk).pk}/").content.decode()
    assert "<strong>an hour</strong>" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    assert "<script" not in page


def test_it_is_never_indexed_cached_or_referred(owner):
    share = share_create(user=owner, session_id=chat(owner).pk)
    for response in (Client().get(f"/s/{share.pk}/"), Client().get("/s/no-such-link/")):
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
        assert "Content-Security-Policy" in response
        assert re.search(rb'<meta name="robots" content="noindex', response.content)


def test_a_later_message_does_not_change_the_page_until_the_link_is_updated(owner, owner_client):
    session = chat(owner)
    share = share_create(user=owner, session_id=session.pk)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="LATER-TEXT")])
    assert b"LATER-TEXT" not in Client().get(f"/s/{share.pk}/").content
    owner_client.patch(f"/api/shares/{share.pk}/", {"update": True}, content_type="application/json")
    assert b"LATER-TEXT" in Client().get(f"/s/{share.pk}/").content


def test_a_new_display_name_shows_at_once_though_the_messages_are_kept_rendered(owner, owner_client):
    share = share_create(user=owner, session_id=chat(owner).pk, display_name="Olive")
    assert Client().get(f"/s/{share.pk}/").content.decode().count("Olive") >= 2
    owner_client.patch(f"/api/shares/{share.pk}/", {"display_name": "Pseudonym"}, content_type="application/json")
    page = Client().get(f"/s/{share.pk}/").content.decode()
    assert "Olive" not in page
    assert "Pseudonym" in page


def test_trashing_the_chat_or_revoking_answers_410_on_the_next_request(owner, owner_client):
    share = share_create(user=owner, session_id=chat(owner).pk)
    other = share_create(user=owner, session_id=chat(owner).pk)
    visitor = Client()
    assert visitor.get(f"/s/{share.pk}/").status_code == 200
    session_trash(user=owner, session_id=share.session_id)
    assert visitor.get(f"/s/{share.pk}/").status_code == 410
    owner_client.delete(f"/api/shares/{other.pk}/")
    assert visitor.get(f"/s/{other.pk}/").status_code == 410


def test_the_right_password_opens_the_page_for_that_visitor_only(owner):
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    visitor = Client()
    asked = visitor.get(f"/s/{share.pk}/")
    assert asked.status_code == 401
    assert b'name="password"' in asked.content
    assert b"How long to proof" not in asked.content
    assert visitor.post(f"/s/{share.pk}/", {"password": "open sesame"}).status_code == 200
    assert visitor.get(f"/s/{share.pk}/").status_code == 200
    assert Client().get(f"/s/{share.pk}/").status_code == 401


def test_the_password_form_needs_the_csrf_token(owner):
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/s/{share.pk}/", {"password": "open sesame"}).status_code == 403


def test_wrong_passwords_lock_the_visitor_out(owner, settings):
    settings.SHARE_PASSWORD_FAILURE_LIMIT = 2
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    visitor = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        assert visitor.post(f"/s/{share.pk}/", {"password": "guess"}).status_code == 401
    locked = visitor.post(f"/s/{share.pk}/", {"password": "open sesame"})
    assert locked.status_code == 429
    assert b"Too many wrong passwords" in locked.content
    assert Client(REMOTE_ADDR="198.51.100.8").post(f"/s/{share.pk}/", {"password": "open sesame"}).status_code == 200


def test_views_count_once_per_visitor_a_day_and_not_the_owners(owner, owner_client, outsider):
    share = share_create(user=owner, session_id=chat(owner).pk)
    for client in (Client(REMOTE_ADDR="192.0.2.1"), Client(REMOTE_ADDR="192.0.2.1"), signed_in(outsider), owner_client):
        client.get(f"/s/{share.pk}/")
    share.refresh_from_db()
    assert share.view_count == 2
    assert owner_client.get(f"/api/shares/{share.pk}/").json()["view_count"] == 2


def test_the_page_reads_a_fixed_number_of_queries(owner, django_assert_num_queries):
    share = share_create(user=owner, session_id=chat(owner, texts=tuple(f"m{i}" for i in range(40))).pk)
    visitor = Client()
    with django_assert_num_queries(2):  # the link with its chat's trash mark, the view counted
        assert visitor.get(f"/s/{share.pk}/").status_code == 200
    with django_assert_num_queries(1):  # seen today: not counted again
        assert visitor.get(f"/s/{share.pk}/").status_code == 200
    assert Share.objects.get().view_count == 1


def test_guessing_from_many_addresses_locks_the_link_itself_as_log_in_locks_an_account(owner, settings):
    settings.SHARE_PASSWORD_FAILURE_LIMIT = 2
    settings.SHARE_PASSWORD_LINK_FAILURE_LIMIT = 6
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    for n in range(3):  # two guesses from each of three addresses: none of them locked out alone
        for _ in range(2):
            assert (
                Client(REMOTE_ADDR=f"203.0.113.{n}").post(f"/s/{share.pk}/", {"password": "guess"}).status_code == 401
            )
    fresh = Client(REMOTE_ADDR="203.0.113.99").post(f"/s/{share.pk}/", {"password": "open sesame"})
    assert fresh.status_code == 429


def test_a_link_locked_by_guessers_still_opens_for_its_owner_and_for_visitors_already_in(owner, owner_client, settings):
    settings.SHARE_PASSWORD_LINK_FAILURE_LIMIT = 2
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    friend = Client(REMOTE_ADDR="198.51.100.20")
    assert friend.post(f"/s/{share.pk}/", {"password": "open sesame"}).status_code == 200
    for n in range(2):
        assert Client(REMOTE_ADDR=f"203.0.113.{n}").post(f"/s/{share.pk}/", {"password": "x"}).status_code == 401
    assert Client(REMOTE_ADDR="203.0.113.50").post(f"/s/{share.pk}/", {"password": "open sesame"}).status_code == 429
    assert friend.get(f"/s/{share.pk}/").status_code == 200
    assert owner_client.get(f"/s/{share.pk}/").status_code == 200


def test_a_forwarded_for_header_the_client_chose_does_not_escape_its_lockout(owner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.SHARE_PASSWORD_FAILURE_LIMIT = 2
    settings.SHARE_PASSWORD_LINK_FAILURE_LIMIT = 100
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    for n in range(3):
        # The proxy appends the address it was reached from; what came before is the client's own.
        spoofed = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7")
        answer = spoofed.post(f"/s/{share.pk}/", {"password": "guess"}).status_code
    assert answer == 429


def test_another_users_link_cannot_be_revoked_from_the_shared_links_page(owner, outsider_client):
    share = share_create(user=owner, session_id=chat(owner).pk)
    assert outsider_client.post(f"/shares/{share.pk}/revoke/").status_code == 404
    assert Client().get(f"/s/{share.pk}/").status_code == 200

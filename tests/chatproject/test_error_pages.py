"""The pages shown with DEBUG off for a page that is not there (404.html, the site's own header and a
way back) and for a server error (500.html: plain HTML that cannot fail to render)."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from django.views.defaults import server_error

from conversation.sessions.create import session_create


@pytest.fixture
def debug_off(settings):
    settings.DEBUG = False
    return settings


def test_a_chat_that_is_not_there_or_not_yours_shows_the_404_page_with_a_way_back(db, debug_off, owner_client):
    response = owner_client.get(f"/c/{uuid.uuid4()}/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "isn\N{RIGHT SINGLE QUOTATION MARK}t yours" in page
    assert 'href="/">Back to your chats</a>' in page
    assert 'class="user-menu"' in page  # the site's header, signed in
    assert "Content-Security-Policy" in response.headers


def test_another_users_chat_is_a_404_page_too(db, debug_off, owner, outsider_client):
    session = session_create(user=owner, title="Private")

    response = outsider_client.get(f"/c/{session.pk}/")

    assert response.status_code == 404
    assert "Back to your chats" in response.content.decode()
    assert "Private" not in response.content.decode()


def test_an_unknown_address_shows_the_404_page(db, debug_off, owner_client):
    response = owner_client.get("/nope/")

    assert response.status_code == 404
    assert "<title>Not found · Chat</title>" in response.content.decode()


def test_the_500_page_is_plain_html_with_no_template_code_to_fail():
    source = (Path(django_settings.BASE_DIR) / "templates" / "500.html").read_text()
    assert "{%" not in source
    assert "{{" not in source

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert 'href="/">Back to your chats</a>' in response.content.decode()

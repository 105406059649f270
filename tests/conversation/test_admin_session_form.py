"""The admin's Session change form: it writes through session_update, only what it changed."""

import pytest
from django.test import Client
from django.urls import reverse

from conversation.admin import SessionAdminForm
from conversation.models import Session
from conversation.sessions.create import session_create
from tests.factories import UserFactory
from tests.helpers import say


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


def form_data(session: Session, **changes) -> dict:
    return {"title": session.title, "persona": session.persona_id, "metadata": "{}", "_save": "Save", **changes}


def test_a_rename_keeps_what_an_append_stored_while_the_form_was_saved(staff_client, owner, monkeypatch):
    chat = session_create(user=owner, title="Bread")
    say(owner, chat, "first question")
    url = reverse("admin:conversation_session_change", args=[chat.pk])
    clean_title = SessionAdminForm.clean_title

    def append_meanwhile(form):  # after the admin has read the row, before it writes
        say(owner, chat, "second question", "an answer")
        return clean_title(form)

    monkeypatch.setattr(SessionAdminForm, "clean_title", append_meanwhile)

    response = staff_client.post(url, form_data(chat, title="Sourdough"))

    assert response.status_code == 302
    chat = Session.objects.get(pk=chat.pk)
    assert chat.title == "Sourdough"
    assert (chat.message_count, chat.last_seq, chat.preview) == (3, 3, "first question")


def test_a_title_over_the_limit_is_refused_on_the_form(staff_client, owner, settings):
    chat = session_create(user=owner, title="Bread")
    settings.MAX_TITLE_CHARS = 10
    url = reverse("admin:conversation_session_change", args=[chat.pk])

    response = staff_client.post(url, form_data(chat, title="A title far too long"))

    assert response.status_code == 200
    assert "Title is 20 characters; the limit is 10." in response.content.decode()
    assert Session.objects.get(pk=chat.pk).title == "Bread"


def test_metadata_that_is_not_an_object_is_refused_on_the_form(staff_client, owner):
    chat = session_create(user=owner, title="Bread")
    url = reverse("admin:conversation_session_change", args=[chat.pk])

    response = staff_client.post(url, form_data(chat, metadata="[1, 2]"))

    assert response.status_code == 200
    assert "Metadata must be a JSON object." in response.content.decode()

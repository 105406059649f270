"""Session previews (issue 32): the first user message of the active branch, on one line, stored on
the session and kept exact by every writer in its own transaction."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from conversation.branches.edits import utterance_edit, utterance_regenerate_prepare
from conversation.branches.head import session_switch
from conversation.checks import preview_limit_fits_the_column
from conversation.inputs import preview_text
from conversation.models import Session
from conversation.sessions.create import session_create
from tests.conversation.preview_walk import check, run_every_writer
from tests.helpers import say

pytestmark = pytest.mark.django_db


def test_a_preview_is_the_message_on_one_line():
    assert preview_text("  Plan\n\ta   trip  ") == "Plan a trip"


@override_settings(SESSION_PREVIEW_CHARS=10)
@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("abcdefghij", "abcdefghij"),
        ("abcdefghijk", "abcdefghi…"),
        ("abcdefgh👍🏽 more", "abcdefgh…"),  # the emoji and its skin tone stay together
        ("abcdefghe\u0301 more", "abcdefgh…"),  # an accented letter is not split from its accent
        ("abcdefgh🇵🇹 more", "abcdefgh…"),  # nor a flag from its second half
    ],
)
def test_a_long_message_is_cut_with_an_ellipsis_never_inside_a_letter_or_an_emoji(text, preview):
    assert preview_text(text) == preview


@override_settings(SESSION_PREVIEW_CHARS=3)
def test_a_cut_that_would_leave_nothing_keeps_the_plain_characters():
    assert preview_text("e\u0301\u0301\u0301\u0301") == "e\u0301…"


def test_every_writer_keeps_the_stored_preview_equal_to_a_walk_of_the_active_branch(owner):
    run_every_writer(owner)


def test_an_append_to_a_chat_that_has_a_first_message_keeps_it(owner):
    chat = session_create(user=owner)
    say(owner, chat, "First")
    say(owner, chat, "Second", "Third")
    assert check(chat.pk) == "First"


def test_the_append_returns_the_session_with_its_preview(owner):
    chat = session_create(user=owner)
    assert say(owner, chat, "What a session is about").session.preview == "What a session is about"


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_a_head_move_reads_the_first_message_only_when_it_may_change(owner):
    chat = session_create(user=owner)
    first = say(owner, chat, "Opening").utterances[0].seq
    reply = say(owner, chat, "Reply", role="assistant").utterances[0].seq
    # A regeneration keeps the first message: no read of it.
    keeping = queries(lambda: utterance_regenerate_prepare(user=owner, session_id=chat.pk, seq=reply))
    say(owner, chat, "Reply 2", role="assistant")
    # A switch back to where the first message is the same: the same count as a switch that keeps it.
    back = queries(lambda: session_switch(user=owner, session_id=chat.pk, seq=reply))
    # An edit of the first message: one more read, of the new path's first message (none yet here,
    # so none is read), then the append sets it.
    utterance_edit(user=owner, session_id=chat.pk, seq=first, text="Edited")
    to_other_first = queries(lambda: session_switch(user=owner, session_id=chat.pk, seq=first))
    assert check(chat.pk) == "Opening"
    assert to_other_first == back + 1
    assert keeping > 0


@pytest.mark.parametrize("chars", [1, 201])
def test_a_preview_length_the_column_cannot_hold_fails_the_system_check(settings, chars):
    settings.SESSION_PREVIEW_CHARS = chars
    assert [error.id for error in preview_limit_fits_the_column(None)] == ["conversation.E002"]


def test_the_migration_fills_each_session_from_its_active_branch(owner):
    run_every_writer(owner)
    stored = dict(Session.objects.values_list("pk", "preview"))
    Session.objects.update(preview="")
    importlib.import_module("conversation.migrations.0016_session_preview").fill_previews(apps, None)
    assert dict(Session.objects.values_list("pk", "preview")) == stored
    assert any(stored.values())

"""Sidebar previews (issue 32) in Chromium: each row's second line is its chat's first message, kept
as the chat changes, described to screen readers, one line at 375 px."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversation.branches.edits import utterance_edit
from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from tests.e2e.test_chat_page import assistant_messages, call, send
from tests.helpers import say

pytestmark = pytest.mark.django_db(transaction=True)


def said(*, user, session, text: str):
    return say(user, session, text)


def row(page: Page, title: str):
    return page.locator("#sessions li.session-item").filter(has=page.locator(".session-title", has_text=title))


def test_a_renamed_chats_row_shows_its_first_message_as_a_description_of_the_link(
    live_url, signed_in: Page, owner, axe
):
    page = signed_in
    send(page, "Plan   a trip to Lisbon")
    expect(assistant_messages(page).last).to_contain_text("Echo:", timeout=15000)
    item = page.locator("#sessions li.session-item.current")
    link = item.get_by_role("link")
    # Titled automatically, from the first message: a preview would only repeat it.
    expect(link).to_have_accessible_name(re.compile(r"^Plan a trip to Lisbon\s*2 messages$"))
    expect(item.locator(".session-preview")).to_be_empty()
    chat = Session.objects.get(user=owner)
    call(session_update, user=owner, session_id=chat.pk, title="Lisbon")  # elsewhere: the row follows
    expect(item.locator(".session-preview")).to_have_text("Plan a trip to Lisbon")
    expect(link).to_have_accessible_name(re.compile(r"^Lisbon\s*2 messages$"))
    expect(link).to_have_accessible_description("Plan a trip to Lisbon")
    axe(page, context="#sidebar")


def test_an_edit_of_the_first_message_elsewhere_changes_the_row(live_url, signed_in: Page, owner):
    chat = call(session_create, user=owner, title="Holiday")
    first = call(said, user=owner, session=chat, text="Where in May?").utterances[0].seq
    page = signed_in
    page.reload()
    expect(row(page, "Holiday").locator(".session-preview")).to_have_text("Where in May?")
    call(utterance_edit, user=owner, session_id=chat.pk, seq=first, text="Where in June?")
    expect(row(page, "Holiday").locator(".session-preview")).to_have_text("Where in June?")


def test_a_long_preview_is_one_line_cut_with_an_ellipsis_on_a_phone(
    live_url, signed_in: Page, owner, assert_no_sideways_scroll, axe
):
    chat = call(session_create, user=owner, title="Long")
    call(said, user=owner, session=chat, text="word " * 60)
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.get_by_role("button", name="Chats", exact=True).click()
    preview = row(page, "Long").locator(".session-preview")
    expect(preview).to_be_visible()
    cut, height, font = preview.evaluate(
        "el => [el.scrollWidth > el.clientWidth, el.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(el).fontSize)]"
    )
    assert cut
    assert height < 2 * font  # one line
    assert_no_sideways_scroll(page)
    axe(page, context="#sidebar")

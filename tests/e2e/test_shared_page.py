"""The shared page (issue 34) in Chromium: a visitor on a phone (375 px) gives the password, a
wrong one first, and reads the chat, Markdown rendered, with nothing sideways; the signed-in
"Continue as a copy" opens a chat of one's own."""

import pytest
from playwright.sync_api import Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create
from sharing.services import share_create
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def shared_chat(owner, **options):
    session = call(session_create, user=owner, title="Sourdough")
    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[
            UtteranceIn(role="user", text="How long to proof? " + "x" * 120),
            UtteranceIn(role="assistant", text="About **an hour**, then `bake`."),
        ],
    )
    return call(share_create, user=owner, session_id=session.pk, **options)


def test_a_visitor_on_a_phone_gives_the_password_and_reads_the_chat(
    live_url, page: Page, owner, axe, assert_no_sideways_scroll
):
    share = shared_chat(owner, password="open sesame", display_name="Olive")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_url}/s/{share.pk}/")
    expect(page.get_by_role("heading", name="This shared chat has a password")).to_be_visible()
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("alert")).to_have_text("That password is not right.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Password").fill("open sesame")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Sourdough", level=1)).to_be_visible()
    expect(page.locator(".shared-messages .message.assistant strong")).to_have_text("an hour")
    expect(page.locator(".shared-about")).to_contain_text("from Olive")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert_no_sideways_scroll(page)
    axe(page)


def test_continue_as_a_copy_opens_a_chat_of_ones_own(live_url, signed_in: Page, owner):
    share = shared_chat(owner)
    page = signed_in
    page.goto(f"{live_url}/s/{share.pk}/")
    page.get_by_role("button", name="Continue as a copy").click()
    page.wait_for_url(f"{live_url}/c/**")
    expect(page.locator("#sessions .session-title", has_text="Copy of Sourdough")).to_be_visible()
    expect(page.locator(".message.assistant strong")).to_have_text("an hour")


def test_the_shared_links_page_revokes_a_link(live_url, signed_in: Page, owner, axe, assert_no_sideways_scroll):
    share = shared_chat(owner, audience="signed_in")
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_url}/shares/")
    expect(page.locator(".share-address")).to_have_text(f"{live_url}/s/{share.pk}/")
    expect(page.get_by_role("button", name="Copy the link to Sourdough")).to_be_visible()
    assert_no_sideways_scroll(page)
    axe(page)
    page.get_by_role("button", name="Revoke the link to Sourdough").click()
    expect(page.get_by_role("status").filter(has_text="it no longer opens")).to_be_visible()
    page.goto(f"{live_url}/s/{share.pk}/")
    expect(page.get_by_role("heading", name="This link has ended")).to_be_visible()

"""What overlays the conversation, by pointer: the open Chat actions menu and the phone drawer; a
click beside either only closes it (the page under it is inert meanwhile)."""

import pytest
from playwright.sync_api import Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_click_beside_the_open_menu_only_closes_it(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Menu")
    call(utterances_append, user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="Hello")])
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    edit = page.locator("#message-list li.message.user").get_by_role("button", name="Edit")
    box = edit.bounding_box()
    page.get_by_role("button", name="Chat actions").click()
    expect(page.locator("#actions-menu")).to_be_visible()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#actions-menu")).to_be_hidden()
    expect(page.locator("#message-list li.editing")).to_have_count(0)  # the Edit beneath was not pressed
    edit.click()
    expect(page.locator("#message-list li.editing")).to_have_count(1)


def test_at_375_pixels_a_tap_beside_the_drawer_closes_it(live_url, signed_in: Page, owner):
    call(session_create, user=owner, title="Somewhere")
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    page.get_by_role("button", name="Chats", exact=True).click()
    expect(page.locator("#sidebar")).to_be_in_viewport()
    page.mouse.click(360, 400)  # the dimmed page to the drawer's right
    expect(page.get_by_role("button", name="Chats", exact=True)).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("button", name="Chats", exact=True)).to_be_focused()
    expect(page.locator("#sidebar")).not_to_be_in_viewport()

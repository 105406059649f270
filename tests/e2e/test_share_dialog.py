"""The chat's "Share…" dialog (issue 34) in Chromium, at 375 px: a link made with a password, its
address copied and opened by an anonymous visitor (wrong then right password), then revoked in the
dialog (after a display name changed and saved): the visitor's reload answers 410. By keyboard
where it matters: the focus returns to "Chat actions"."""

import pytest
from playwright.sync_api import Browser, Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_link_is_made_copied_opened_and_revoked(
    live_url, signed_in: Page, owner, browser: Browser, axe, assert_no_sideways_scroll
):
    session_id = call(session_create, user=owner, title="Sourdough").pk
    call(
        utterances_append,
        user=owner,
        session_id=session_id,
        utterances=[UtteranceIn(role="user", text="How long?"), UtteranceIn(role="assistant", text="An hour.")],
    )
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_url}/c/{session_id}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    page.get_by_role("button", name="Chat actions").click()
    page.locator("#actions-menu").get_by_role("button", name="Share…").click()
    dialog = page.get_by_role("dialog", name="Share this chat")
    expect(dialog.get_by_role("radio", name="Anyone with the link")).to_be_focused()
    dialog.get_by_label("Password (optional)").fill("open sesame")
    dialog.get_by_label("Your name as shown (optional)").fill("Olive")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.get_by_role("status")).to_have_text("Link created.")
    copy = dialog.get_by_role("button", name="Copy link")
    expect(copy).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("status")).to_have_text("Link copied.")
    address = page.evaluate("() => navigator.clipboard.readText()")
    assert address.startswith(f"{live_url}/s/")
    expect(dialog.get_by_role("button", name="Save settings")).to_be_visible()
    assert_no_sideways_scroll(page)
    axe(page)

    visitor = browser.new_context().new_page()
    visitor.goto(address)
    visitor.get_by_label("Password").fill("wrong")
    visitor.get_by_role("button", name="Open").click()
    expect(visitor.get_by_role("alert")).to_have_text("That password is not right.")
    visitor.get_by_label("Password").fill("open sesame")
    visitor.get_by_label("Password").press("Enter")
    expect(visitor.get_by_role("heading", name="Sourdough", level=1)).to_be_visible()
    expect(visitor.locator(".shared-about")).to_contain_text("from Olive")

    dialog.get_by_label("Your name as shown (optional)").fill("Olive B.")
    dialog.get_by_role("button", name="Save settings").click()
    expect(dialog.get_by_role("status")).to_have_text("Settings saved.")
    visitor.goto(address)  # the right password is remembered
    expect(visitor.locator(".shared-about")).to_contain_text("from Olive B.")

    dialog.get_by_role("button", name="Revoke", exact=True).click()
    keep = dialog.get_by_role("button", name="Keep it")
    expect(keep).to_be_focused()
    dialog.get_by_role("button", name="Revoke the link").click()
    expect(dialog.get_by_role("status")).to_have_text("Link revoked.")
    expect(dialog.get_by_role("button", name="Create link")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Chat actions")).to_be_focused()

    response = visitor.reload()
    assert response.status == 410
    expect(visitor.get_by_role("heading", name="This link has ended")).to_be_visible()
    visitor.context.close()

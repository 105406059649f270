"""The chat page by keyboard alone, at 1280 and 375 px: the main flows with no pointer event at all,
and what each needs of the page (where the focus goes, the drawer's inert and trap, Undo, Stop)."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversation.sessions.create import session_create
from tests.e2e.keyboard import (
    NARROW,
    WIDE,
    WIDTHS,
    choose_chat_action,
    inert,
    message_box,
    ready,
    sidebar_control,
    tab_to,
)
from tests.e2e.test_branches_page import answered, replies
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


@WIDTHS
def test_it_runs_the_main_flows_by_keyboard_alone(live_url, keyboard: Page, size):
    page = keyboard
    page.set_viewport_size(size)
    title = page.locator("#chat-title")
    actions = page.get_by_role("button", name="Chat actions")
    menu = page.locator("#actions-menu")

    # Send: the page opens on the message box.
    expect(message_box(page)).to_be_focused()
    page.keyboard.type("Plan a trip")
    page.keyboard.press("Enter")
    answered(page, ["Echo: Plan a trip"])
    first_url = page.url

    # New chat, and a second message.
    sidebar_control(page, page.get_by_role("button", name="New chat", exact=True))
    page.keyboard.press("Enter")
    expect(message_box(page)).to_be_focused()
    expect(title).to_have_text("New chat")
    page.keyboard.type("Second chat")
    page.keyboard.press("Enter")
    answered(page, ["Echo: Second chat"])

    # Switch: a sidebar link, Enter.
    sidebar_control(page, page.locator("#sessions a").filter(has_text="Plan a trip"))
    page.keyboard.press("Enter")
    page.wait_for_url(first_url)
    ready(page)
    expect(title).to_have_text("Plan a trip")

    # Rename: the field takes the focus, Enter saves, the focus is back on Chat actions.
    tab_to(page, actions)
    page.keyboard.press("Enter")
    expect(menu.get_by_role("button", name="Rename")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type("Lisbon trip")
    page.keyboard.press("Enter")
    expect(title).to_have_text("Lisbon trip")
    expect(actions).to_be_focused()

    # Pin: the menu closes and the focus is back on its button.
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name="Pin")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#pinned")).to_contain_text("Lisbon trip")
    expect(actions).to_be_focused()

    # Archive: Undo has the focus at once; Enter takes it back, and the focus goes to the message box.
    page.keyboard.press("Enter")
    tab_to(page, menu.get_by_role("button", name="Archive"))
    page.keyboard.press("Enter")
    toast = page.get_by_role("status").filter(has_text="Archived")
    expect(toast).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    expect(page.locator("#pinned")).not_to_contain_text("Lisbon trip")
    page.keyboard.press("Enter")
    expect(page.locator("#pinned")).to_contain_text("Lisbon trip")
    expect(toast).to_be_hidden()
    expect(message_box(page)).to_be_focused()

    # Edit a message in place: Enter saves and sends; the reply follows on the new branch.
    question = page.locator("#message-list li.message.user")
    tab_to(page, question.get_by_role("button", name="Edit"), back=True)
    page.keyboard.press("Enter")
    expect(question.get_by_role("textbox")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Plan a long trip")
    page.keyboard.press("Enter")
    answered(page, ["Echo: Plan a long trip"])
    expect(question.locator(".sibling-index")).to_have_text("2/2")
    expect(message_box(page)).to_be_focused()  # not the body: the Save pressed went with the old page

    # Branch switch: Previous alternative shows the first alternative, the focus stays on the alternatives.
    tab_to(page, question.get_by_role("button", name="Previous alternative"), back=True)
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_text(["Echo: Plan a trip"])
    expect(question.get_by_role("button", name="Next alternative")).to_be_focused()

    # Delete: Undo has the focus; Enter brings the chat back.
    choose_chat_action(page, "Delete")
    expect(page).to_have_url(f"{live_url}/")
    expect(page.get_by_role("status").filter(has_text="Moved to trash.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(first_url)
    ready(page)
    expect(title).to_have_text("Lisbon trip")

    # Delete again, then Ctrl+Z (Cmd+Z at 375: an iPad's keyboard) from a control, not a text field.
    choose_chat_action(page, "Delete")
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Control+Z" if size == WIDE else "Meta+Z")
    page.wait_for_url(first_url)
    ready(page)
    expect(title).to_have_text("Lisbon trip")

    # Search: type, Tab to the result, Enter.
    sidebar_control(page, page.get_by_role("searchbox", name="Search chats"))
    page.keyboard.type("Second")
    result = page.locator("#search-list a").filter(has_text="Second chat").first  # the message and its echo
    expect(result).to_be_visible()
    tab_to(page, result)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/[0-9a-f-]{36}/\?at=\d+&q=Second$"))
    ready(page)
    expect(title).to_have_text("Second chat")


def test_at_375_the_closed_drawer_is_inert_and_the_open_one_traps_the_focus(live_url, keyboard: Page, owner):
    call(session_create, user=owner, title="In the drawer")
    page = keyboard
    page.set_viewport_size(NARROW)
    page.reload()
    ready(page)
    toggle = page.get_by_role("button", name="Chats", exact=True)

    # Closed: inert, so Tab never reaches its links off-screen.
    assert inert(page, "#sidebar")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    for _ in range(15):
        page.keyboard.press("Tab")
        assert page.evaluate("Boolean(document.activeElement.closest('#sidebar'))") is False

    # Open: the search has the focus, the rest of the page is inert, Tab cycles inside.
    tab_to(page, toggle)
    page.keyboard.press("Enter")
    search = page.get_by_role("searchbox", name="Search chats")
    expect(search).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert not inert(page, "#sidebar")
    assert inert(page, "section.chat-main")
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("Boolean(document.activeElement.closest('#sidebar'))") is True
        seen.add(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert {"search", "In the drawer", "Account"} <= {s.split("\n")[0].strip() for s in seen}
    tab_to(page, page.get_by_role("button", name="Close chats"))  # the first stop: Shift+Tab goes to the last
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#sidebar").get_by_role("link", name="Account")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Close chats")).to_be_focused()

    # Escape closes it and gives the focus back to Chats.
    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert inert(page, "#sidebar")
    assert not inert(page, "section.chat-main")

    # Wider than the breakpoint, open or not, the sidebar is a column: nothing is inert.
    page.keyboard.press("Enter")
    expect(search).to_be_focused()
    page.set_viewport_size(WIDE)
    expect(page.locator("#sidebar")).to_have_js_property("inert", False)
    assert not inert(page, "section.chat-main")
    tab_to(page, page.locator("#sessions a").filter(has_text="In the drawer"))
    page.set_viewport_size(NARROW)
    expect(page.locator("#sidebar")).to_have_js_property(
        "inert", True
    )  # a string to wait_for_function is an eval the CSP refuses
    expect(toggle).to_be_focused()  # the focus was in the sidebar as it went off-screen

"""The chat page by keyboard alone, at 1280 and 375 px: the main flows with no pointer event at all,
and what each needs of the page (where the focus goes, the drawer's inert and trap, Undo, Stop)."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from tests.e2e.test_branches_page import answered, chat_of, replies
from tests.e2e.test_chat_page import call
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 375, "height": 800}
WIDTHS = pytest.mark.parametrize("size", [WIDE, NARROW], ids=["1280", "375"])

# Counts every pointer event of the tab's pages (kept across navigations in sessionStorage).
COUNT_POINTER_EVENTS = """
for (const type of ["pointerdown", "mousedown", "mouseup", "touchstart", "wheel"]) {
  addEventListener(type, () => {
    sessionStorage.setItem("pointer-events", String(Number(sessionStorage.getItem("pointer-events") || 0) + 1));
  }, true);
}
"""


def ready(page: Page) -> Page:
    page.wait_for_selector("html[data-ready=true]", state="attached")
    return page


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, locator: Locator, *, back: bool = False, limit: int = 60) -> None:
    """Tab (or Shift+Tab) until `locator` has the focus."""
    for _ in range(limit):
        if is_focused(locator):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{locator} is not reached in {limit} presses of Tab")


def sidebar_control(page: Page, locator: Locator) -> None:
    """Focus a control of the sidebar: at 375 px through the Chats drawer, which traps Tab inside."""
    if page.viewport_size["width"] <= 760:
        tab_to(page, page.get_by_role("button", name="Chats", exact=True))
        page.keyboard.press("Enter")
        expect(page.locator("#sidebar")).to_be_in_viewport()
    tab_to(page, locator)


def message_box(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def inert(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate("element => element.inert")


@pytest.fixture
def keyboard(live_url, page: Page, owner):
    """The page signed in through the login form by keyboard; no pointer event by the end."""
    page.add_init_script(COUNT_POINTER_EVENTS)
    page.goto(f"{live_url}/accounts/login/")
    tab_to(page, page.get_by_label("E-mail address"))
    page.keyboard.type(owner.email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/")
    ready(page)
    yield page
    assert page.evaluate("sessionStorage.getItem('pointer-events')") is None


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

    # Branch switch: Previous alternative shows the first alternative, the focus stays on the alternatives.
    tab_to(page, question.get_by_role("button", name="Previous alternative"), back=True)
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_text(["Echo: Plan a trip"])
    expect(question.get_by_role("button", name="Next alternative")).to_be_focused()

    # Delete: Undo has the focus; Enter brings the chat back.
    tab_to(page, actions)
    page.keyboard.press("Enter")
    tab_to(page, menu.get_by_role("button", name="Delete"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/")
    expect(page.get_by_role("status").filter(has_text="Moved to trash.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(first_url)
    ready(page)
    expect(title).to_have_text("Lisbon trip")

    # Delete again, then Ctrl+Z (Cmd+Z at 375: an iPad's keyboard) from a control, not a text field.
    tab_to(page, actions)
    page.keyboard.press("Enter")
    tab_to(page, menu.get_by_role("button", name="Delete"))
    page.keyboard.press("Enter")
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
    result = page.locator("#search-list a").filter(has_text="Second chat")
    expect(result).to_be_visible()
    tab_to(page, result)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/[0-9a-f-]{36}/$"))
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
    page.wait_for_function("!document.querySelector('#sidebar').inert")
    assert not inert(page, "section.chat-main")
    tab_to(page, page.locator("#sessions a").filter(has_text="In the drawer"))
    page.set_viewport_size(NARROW)
    page.wait_for_function("document.querySelector('#sidebar').inert")
    expect(toggle).to_be_focused()  # the focus was in the sidebar as it went off-screen


@WIDTHS
def test_undo_is_held_while_focused_and_the_focus_then_goes_to_the_message_box(live_url, keyboard: Page, owner, size):
    session = chat_of(owner, "Held", ("user", "keep"))
    page = keyboard
    page.set_viewport_size(size)
    page.clock.install()
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    tab_to(page, page.get_by_role("button", name="Chat actions"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#actions-menu").get_by_role("button", name="Delete"))
    page.keyboard.press("Enter")
    toast = page.locator("#toast")
    undo = page.get_by_role("button", name="Undo")
    expect(toast).to_contain_text("Moved to trash.")
    expect(toast).to_contain_text("or press Ctrl+Z")
    expect(undo).to_be_focused()
    expect(undo).to_have_accessible_description(re.compile("Moved to trash"))

    page.clock.fast_forward("00:30")  # held while it has the focus
    expect(toast).to_be_visible()
    page.keyboard.press("Tab")  # the message box: a text field, where Ctrl+Z is its own
    expect(message_box(page)).to_be_focused()
    page.keyboard.press("Control+Z")
    expect(toast).to_be_visible()
    assert Session.objects.get(pk=session.pk).deleted_at is not None
    page.clock.fast_forward("00:09")  # let go: it goes
    expect(toast).to_be_hidden()

    # Escape on the toast closes it, and the focus goes to the message box, not the body.
    other = chat_of(owner, "Second", ("user", "two"))
    page.goto(f"{live_url}/c/{other.pk}/")
    ready(page)
    tab_to(page, page.get_by_role("button", name="Chat actions"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#actions-menu").get_by_role("button", name="Delete"))
    page.keyboard.press("Enter")
    expect(undo).to_be_focused()
    page.keyboard.press("Escape")
    expect(toast).to_be_hidden()
    expect(message_box(page)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Control+Z")  # gone with its toast: the trash page's to restore
    assert Session.objects.get(pk=other.pk).deleted_at is not None


def test_the_toast_is_held_while_the_pointer_is_on_it(live_url, signed_in: Page, owner):
    session = chat_of(owner, "Hovered", ("user", "keep"))
    page = signed_in
    page.clock.install()
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    page.get_by_role("button", name="Chat actions").click()
    page.locator("#actions-menu").get_by_role("button", name="Delete").click()
    toast = page.locator("#toast")
    expect(toast).to_contain_text("Moved to trash.")
    page.locator("#toast-text").hover()
    message_box(page).focus()  # the focus elsewhere: only the pointer holds it
    page.clock.fast_forward("00:30")
    expect(toast).to_be_visible()
    page.mouse.move(1, 1)
    page.clock.fast_forward("00:09")
    expect(toast).to_be_hidden()


@WIDTHS
def test_escape_while_renaming_gives_the_focus_back_to_chat_actions(live_url, keyboard: Page, owner, size):
    session = call(session_create, user=owner, title="Keep this name")
    page = keyboard
    page.set_viewport_size(size)
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    actions = page.get_by_role("button", name="Chat actions")
    tab_to(page, actions)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # Rename
    field = page.get_by_role("textbox", name="Chat title")
    expect(field).to_be_focused()
    page.keyboard.type("Thrown away")
    page.keyboard.press("Escape")
    expect(page.locator("#chat-title")).to_have_text("Keep this name")
    expect(actions).to_be_focused()

    # Tab out of the field saves, and the focus stays where Tab took it.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Renamed by Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#chat-title")).to_have_text("Renamed by Tab")
    expect(actions).to_be_focused()
    expect(page.locator("#sessions")).to_contain_text("Renamed by Tab")


@WIDTHS
def test_send_becomes_stop_while_a_reply_runs_and_the_busy_notice_clears_itself(live_url, keyboard: Page, size):
    page = keyboard
    page.set_viewport_size(size)
    send = page.get_by_role("button", name="Send")
    stop = page.get_by_role("button", name="Stop")
    page.keyboard.type("[slow] one two three four five six seven eight nine ten")
    tab_to(page, send)
    page.keyboard.press("Enter")
    expect(stop).to_be_focused()  # in Send's place, with its focus
    expect(send).to_be_hidden()

    # Enter in the box while it answers: nothing sent, nothing lost, the notice says why.
    page.keyboard.press("Shift+Tab")
    expect(message_box(page)).to_be_focused()
    page.keyboard.type("next question")
    page.keyboard.press("Enter")
    notice = page.locator("#chat-error")
    expect(notice).to_have_text("The assistant is still answering: stop it or wait for the end.")
    expect(message_box(page)).to_have_value("next question")
    page.keyboard.press("Tab")
    expect(stop).to_be_focused()

    answered(page, ["Echo: [slow] one two three four five six seven eight nine ten"])
    expect(notice).to_be_hidden()  # cleared once the reply is done
    expect(stop).to_be_hidden()
    expect(send).to_be_visible()
    expect(message_box(page)).to_be_focused()  # Stop went with the focus: back to the box
    expect(message_box(page)).to_have_value("next question")
    page.keyboard.press("Enter")
    answered(page, ["Echo: [slow] one two three four five six seven eight nine ten", "Echo: next question"])


@WIDTHS
def test_a_fork_is_titled_a_copy_and_opens_with_a_toast_linking_the_original(live_url, keyboard: Page, owner, size):
    original = chat_of(owner, "Road trip", ("user", "Where to?"), ("assistant", "Porto."))
    page = keyboard
    page.set_viewport_size(size)
    page.goto(f"{live_url}/c/{original.pk}/")
    ready(page)
    reply = page.locator("#message-list li.message.assistant")
    tab_to(page, reply.get_by_role("button", name="Branch into new chat"), back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: str(original.pk) not in url)
    ready(page)
    expect(page.locator("#chat-title")).to_have_text("Road trip (copy)")
    toast = page.get_by_role("status").filter(has_text="Branched from “Road trip”.")
    expect(toast).to_be_visible()
    link = toast.get_by_role("link", name="Open the original")
    tab_to(page, link, back=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/c/{original.pk}/")
    expect(page.locator("#chat-title")).to_have_text("Road trip")


def test_no_chats_yet_is_not_said_under_a_pinned_chat(live_url, keyboard: Page, owner):
    pinned = call(session_create, user=owner, title="Pinned only")
    call(session_update, user=owner, session_id=pinned.pk, pinned=True)
    plain = call(session_create, user=owner, title="To archive")
    page = keyboard
    page.goto(f"{live_url}/c/{plain.pk}/")
    ready(page)
    note = page.locator("#sidebar-more")
    expect(note).to_have_text("")
    tab_to(page, page.get_by_role("button", name="Chat actions"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#actions-menu").get_by_role("button", name="Archive"))
    page.keyboard.press("Enter")
    expect(page.locator("#sessions")).not_to_contain_text("To archive")
    expect(note).to_have_text("")
    page.reload()
    expect(note).to_have_text("")
    expect(page.locator("#pinned")).to_contain_text("Pinned only")

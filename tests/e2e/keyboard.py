"""What the keyboard-only browser tests share: Tab until a control has the focus, the drawer's way
into the sidebar at 375 px, and the script counting pointer events (the `keyboard` fixture in
conftest.py fails a test that made one)."""

import pytest
from playwright.sync_api import Locator, Page, expect

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


def choose_chat_action(page: Page, name: str) -> None:
    """Tab to "Chat actions", open it, Tab to `name` in it and press it."""
    tab_to(page, page.get_by_role("button", name="Chat actions"))
    page.keyboard.press("Enter")
    tab_to(page, page.locator("#actions-menu").get_by_role("button", name=name))
    page.keyboard.press("Enter")

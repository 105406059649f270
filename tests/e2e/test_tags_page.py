"""Tags (issue 32) in Chromium: tag two chats (the second offered the first's tag as typed), filter
the sidebar by the tag and see exactly those two; by keyboard and at 375 px."""

import pytest
from playwright.sync_api import Page, expect

from conversation.sessions.create import session_create
from conversation.tags.services import sessions_tag
from tests.e2e.keyboard import ready, tab_to
from tests.e2e.test_chat_page import call, chat_action

pytestmark = pytest.mark.django_db(transaction=True)


def add_tag(page: Page, name: str) -> None:
    dialog = page.get_by_role("dialog", name="Tags of this chat")
    dialog.get_by_label("Add a tag").fill(name)
    dialog.get_by_label("Add a tag").press("Enter")
    expect(dialog.get_by_role("button", name=f"Remove tag {name}")).to_be_visible()


def test_two_chats_tagged_and_the_sidebar_filtered_by_the_tag(live_url, signed_in: Page, owner, axe):
    lisbon, porto, _groceries = (call(session_create, user=owner, title=t) for t in ("Lisbon", "Porto", "Groceries"))
    page = signed_in
    page.goto(f"{live_url}/c/{lisbon.pk}/")
    ready(page)
    chat_action(page, "Tags…")
    add_tag(page, "Trip")
    dialog = page.get_by_role("dialog", name="Tags of this chat")
    axe(page, context="#tags-dialog")
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("button", name="Chat actions")).to_be_focused()
    row = page.locator("#sessions li.session-item", has_text="Lisbon")
    expect(row.locator(".tag-chip")).to_have_text(["Trip"])

    page.goto(f"{live_url}/c/{porto.pk}/")
    ready(page)
    chat_action(page, "Tags…")
    dialog.get_by_label("Add a tag").press_sequentially("tr")
    expect(page.locator("#tags-suggestions option")).to_have_attribute("value", "Trip")  # offered as typed
    add_tag(page, "trip")  # the existing tag, in its spelling
    expect(dialog.locator(".tags-current .tag-chip span")).to_have_text(["Trip"])
    page.keyboard.press("Escape")

    page.get_by_label("Show chats with a tag").select_option("Trip")
    expect(page.locator("#tag-status")).to_have_text("Showing chats tagged Trip")
    expect(page.locator("#tag-list li.session-item .session-title")).to_have_text(["Porto", "Lisbon"])
    expect(page.locator("#session-nav")).to_be_hidden()
    # The filtered list takes the sidebar's height: its foot's links stay at its foot.
    foot, sidebar = page.locator(".sidebar-bottom").bounding_box(), page.locator("#sidebar").bounding_box()
    assert abs((foot["y"] + foot["height"]) - (sidebar["y"] + sidebar["height"])) <= 2
    axe(page, context="#sidebar")
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator("#session-nav")).to_be_visible()
    expect(page.locator("#sessions .session-title", has_text="Groceries")).to_be_visible()


def test_a_chip_filters_by_its_tag_on_a_phone_and_the_filter_is_reached_by_keyboard(
    live_url, signed_in: Page, owner, assert_no_sideways_scroll
):
    chats = [call(session_create, user=owner, title=f"Chat {i}") for i in range(3)]
    call(sessions_tag, user=owner, session_ids=[chats[0].pk, chats[2].pk], names=["a-very-long-tag-name-" * 2, "x"])
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    ready(page)
    page.get_by_role("button", name="Chats", exact=True).click()
    page.locator("#sessions li.session-item", has_text="Chat 2").locator(".tag-chip", has_text="x").click()
    expect(page.locator("#tag-list .session-title")).to_have_text(["Chat 2", "Chat 0"])
    assert_no_sideways_scroll(page)
    clear = page.get_by_role("button", name="Clear", exact=True)
    tab_to(page, clear)
    page.keyboard.press("Enter")
    expect(page.locator("#session-nav")).to_be_visible()
    select = page.get_by_label("Show chats with a tag")
    expect(select).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first tag, by name
    expect(page.locator("#tag-status")).to_have_text("Showing chats tagged " + "a-very-long-tag-name-" * 2)
    # Tagged elsewhere (another tab, the API): the filtered list and the tag filter follow.
    call(sessions_tag, user=owner, session_ids=[chats[1].pk], names=["A-VERY-LONG-TAG-NAME-" * 2, "new"])
    expect(page.locator("#tag-list .session-title")).to_have_text(["Chat 2", "Chat 1", "Chat 0"])
    expect(page.locator("#tag-list li.session-item", has_text="Chat 1").locator(".tag-chip")).to_have_text(
        ["a-very-long-tag-name-" * 2, "new"]
    )
    expect(select.locator("option")).to_have_text(["All chats", "a-very-long-tag-name-" * 2, "new", "x"])


def test_the_tags_dialog_by_keyboard_alone(live_url, keyboard: Page, owner):
    chat = call(session_create, user=owner, title="Keys")
    page = keyboard
    page.goto(f"{live_url}/c/{chat.pk}/")
    ready(page)
    actions = page.get_by_role("button", name="Chat actions")
    tab_to(page, actions)
    page.keyboard.press("Enter")
    menu_item = page.get_by_role("button", name="Tags…")
    while not menu_item.evaluate("element => element === document.activeElement"):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    box = page.get_by_label("Add a tag")
    expect(box).to_be_focused()
    page.keyboard.type("work, home")
    page.keyboard.press("Enter")
    remove_home = page.get_by_role("button", name="Remove tag home")
    expect(remove_home).to_be_visible()
    expect(page.locator("#tags-status")).to_have_text("Tagged work, home.")
    expect(page.locator("#sessions li.session-item", has_text="Keys").locator(".tag-chip")).to_have_text(
        ["home", "work"]
    )
    tab_to(page, remove_home, back=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Remove tag work")).to_be_focused()  # the next chip's
    expect(page.locator("#sessions li.session-item", has_text="Keys").locator(".tag-chip")).to_have_text(["work"])
    page.keyboard.press("Escape")
    expect(actions).to_be_focused()

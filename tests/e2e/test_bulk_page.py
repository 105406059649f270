"""Acting on many in a real headless Chromium: select chats, act on them all, one Undo."""

import pytest
from playwright.sync_api import Page, expect

from conversation.folders.services import folder_create, sessions_move_to_folder
from conversation.models import Session
from conversation.sessions.create import session_create
from tests.e2e.keyboard import NARROW, ready, sidebar_control, tab_to
from tests.e2e.test_chat_page import call
from tests.helpers import say

pytestmark = pytest.mark.django_db(transaction=True)


def chats(owner, n: int) -> list[Session]:
    return [call(session_create, user=owner, title=f"Chat {i}") for i in range(1, n + 1)]


def opened(page: Page, url: str) -> Page:
    page.goto(url)
    ready(page)
    page.wait_for_selector("html[data-live=true]", state="attached")  # Undo's rows come back as events
    return page


def test_five_chats_selected_with_shift_click_are_archived_and_one_undo_brings_them_all_back(
    live_url, signed_in: Page, owner, axe
):
    chats(owner, 6)
    page = opened(signed_in, f"{live_url}/")
    sessions = page.locator("#sessions")
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("checkbox", name="Select Chat 1").click()
    page.get_by_role("checkbox", name="Select Chat 5").click(modifiers=["Shift"])
    expect(page.locator("#bulk-count")).to_have_text("5 selected")
    expect(page.locator("#bulk-status")).to_have_text("5 selected")
    axe(page, context="#sidebar")

    page.locator("#bulk-bar").get_by_role("button", name="Archive").click()

    expect(page.locator("#toast-text")).to_have_text("5 chats archived.")
    for i in range(1, 6):
        expect(sessions).not_to_contain_text(f"Chat {i}")
    expect(sessions).to_contain_text("Chat 6")
    expect(page.locator("#bulk-count")).to_have_text("0 selected")
    assert Session.objects.filter(archived_at__isnull=False).count() == 5

    page.get_by_role("button", name="Undo").click()

    for i in range(1, 7):
        expect(sessions).to_contain_text(f"Chat {i}")
    assert not Session.objects.filter(archived_at__isnull=False).exists()


def test_a_selection_by_keyboard_alone_at_375_px(live_url, keyboard: Page, owner, axe, assert_no_sideways_scroll):
    chats(owner, 4)
    page = keyboard
    page.set_viewport_size(NARROW)
    opened(page, f"{live_url}/")
    toggle = page.get_by_role("button", name="Select", exact=True)
    sidebar_control(page, toggle)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Done selecting")).to_have_attribute("aria-pressed", "true")
    tab_to(page, page.get_by_role("checkbox", name="Select Chat 4"))

    page.keyboard.press("Control+a")  # the whole list
    expect(page.locator("#bulk-count")).to_have_text("4 selected")
    page.keyboard.press("Escape")  # leaves the select mode, the drawer stays open
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(toggle).to_be_focused()

    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("checkbox", name="Select Chat 4"))
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.get_by_role("checkbox", name="Select Chat 2")).to_be_focused()
    expect(page.locator("#bulk-count")).to_have_text("3 selected")
    expect(page.get_by_role("checkbox", name="Select Chat 1")).not_to_be_checked()
    axe(page, context="#sidebar")
    assert_no_sideways_scroll(page)

    tab_to(page, page.locator("#bulk-bar").get_by_role("button", name="Move to trash"))
    page.keyboard.press("Enter")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()  # the drawer closed: the toast's Undo is on the page it covered
    assert Session.objects.filter(deleted_at__isnull=False).count() == 3
    page.keyboard.press("Enter")
    expect(page.locator("#sessions li.session-item")).to_have_count(4)
    assert not Session.objects.filter(deleted_at__isnull=False).exists()


def test_chats_moved_to_a_folder_chosen_by_its_path_go_back_with_one_undo_and_a_tag_applies(
    live_url, signed_in: Page, owner, axe
):
    work = call(folder_create, user=owner, name="Work")
    clients = call(folder_create, user=owner, name="Clients", parent_id=work.pk)
    first, second, _ = chats(owner, 3)
    call(sessions_move_to_folder, user=owner, session_ids=[first.pk], folder_id=work.pk)
    page = opened(signed_in, f"{live_url}/")
    page.locator("#folder-tree .folder-toggle", has_text="Work").click()  # a folder's chats show when it is open
    expect(page.locator("#folder-tree li.session-item")).to_have_count(1)
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("checkbox", name="Select Chat 1").check()
    page.get_by_role("checkbox", name="Select Chat 2").check()

    page.locator("#bulk-bar").get_by_role("button", name="Move to folder…").click()
    dialog = page.get_by_role("dialog", name="Move 2 chats to a folder")
    dialog.get_by_label("Folder").select_option(label="Work / Clients")
    axe(page)
    dialog.get_by_role("button", name="Apply").click()

    expect(page.locator("#toast-text")).to_have_text("2 chats moved.")
    assert {Session.objects.get(pk=s.pk).folder_id for s in (first, second)} == {clients.pk}
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#announce")).to_have_text("Undone.")  # said once the Undo's calls are answered
    assert (Session.objects.get(pk=first.pk).folder_id, Session.objects.get(pk=second.pk).folder_id) == (work.pk, None)

    page.get_by_role("checkbox", name="Select Chat 2").check()
    page.locator("#bulk-bar").get_by_role("button", name="Tag…", exact=True).click()
    tags = page.get_by_role("dialog", name="Tag 1 chat").get_by_label("Tags, separated by commas")
    tags.fill("urgent, q3")
    tags.press("Enter")  # applies (it had pressed Cancel, the form's first button)
    expect(page.locator("#toast-text")).to_have_text("1 chat tagged.")
    assert Session.objects.get(pk=second.pk).tag_names == ["q3", "urgent"]
    # Still selecting: the row's chips have a line of their own under its title, not beside it.
    row = page.locator("#sessions li.session-item", has_text="Chat 2")
    expect(row.locator(".tag-chip")).to_have_count(2)
    link, tags = row.get_by_role("link").bounding_box(), row.locator(".session-tags").bounding_box()
    assert tags["y"] >= link["y"] + link["height"] - 1


def say_about_sourdough(*, user, session):
    say(user, session, "How long to proof sourdough?")


def test_search_hits_selected_select_their_chats(live_url, signed_in: Page, owner):
    found = chats(owner, 3)
    for chat in found[:2]:
        call(say_about_sourdough, user=owner, session=chat)
    page = opened(signed_in, f"{live_url}/")
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_label("Search chats").fill("sourdough")
    hits = page.locator("#search-list").get_by_role("checkbox")
    expect(hits).to_have_count(2)
    for box in hits.all():
        box.check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")

    page.locator("#bulk-bar").get_by_role("button", name="Pin").click()

    expect(page.locator("#toast-text")).to_have_text("2 chats pinned.")
    assert set(Session.objects.filter(pinned_at__isnull=False).values_list("title", flat=True)) == {"Chat 1", "Chat 2"}

"""Folders in the sidebar, in a real headless Chromium: made, opened, a chat moved in by keyboard,
removed with its chats moved out; other tabs following live."""

import pytest
from playwright.sync_api import Page, expect

from conversation.folders.services import folder_create, sessions_move_to_folder
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from tests.e2e.keyboard import NARROW, choose_chat_action, is_focused, ready, sidebar_control
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def live(page: Page) -> Page:
    page.wait_for_selector("html[data-live=true]", state="attached")
    return page


def test_a_chat_moves_to_a_folder_by_keyboard(live_url, keyboard: Page, owner, axe, assert_no_sideways_scroll):
    folder = call(folder_create, user=owner, name="Work")
    call(folder_create, user=owner, name="Drafts", parent_id=folder.pk)
    session = call(session_create, user=owner, title="Quarterly plan")
    page = keyboard
    page.goto(f"{live_url}/c/{session.pk}/")
    live(ready(page))

    choose_chat_action(page, "Move to folder…")
    dialog = page.get_by_role("dialog", name="Move to folder")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="No folder")).to_be_focused()  # where the chat is now
    axe(page)
    page.keyboard.press("ArrowDown")  # the arrow keys move through the folders, as in a menu
    expect(dialog.get_by_role("button", name="Work", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_role("button", name="Drafts", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Chat actions")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Moved to “Drafts”.")
    expect(page.locator("#sessions")).not_to_contain_text("Quarterly plan")
    # The open chat stays in sight: its folder and the one above it open, its row there, marked.
    drafts = page.locator(f'li.folder[data-folder-id="{Session.objects.get(pk=session.pk).folder_id}"]')
    expect(drafts.locator(".folder-sessions .session-item.current")).to_contain_text("Quarterly plan")
    expect(page.get_by_role("button", name="Work", exact=True)).to_have_attribute("aria-expanded", "true")
    page.reload()  # and so on opening it
    expect(drafts.locator(".folder-sessions .session-item.current")).to_contain_text("Quarterly plan")
    live(ready(page))
    axe(page, context="#sidebar")

    page.set_viewport_size(NARROW)  # the tree and its menu in the phone's drawer
    sidebar_control(page, page.get_by_role("button", name="Folder actions: Drafts"))
    page.keyboard.press("Enter")
    expect(drafts.get_by_role("button", name="New chat here")).to_be_focused()
    assert_no_sideways_scroll(page)
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Folder actions: Drafts")).to_be_focused()


def test_a_folder_made_on_the_page_and_deleted_with_its_chats_moved_out(live_url, signed_in: Page, owner, axe):
    call(session_create, user=owner, title="Packing list")
    signed_in.goto(f"{live_url}/")  # made after the signed-in page loaded: this page lists it
    page = live(ready(signed_in))
    other = page.context.new_page()
    other.goto(f"{live_url}/")
    live(ready(other))

    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Name", exact=True).fill("Trips")
    page.get_by_label("Name", exact=True).press("Enter")  # Enter in the field saves
    toggle = page.locator("#folder-tree .folder-toggle", has_text="Trips")
    expect(toggle).to_be_focused()
    expect(other.locator("#folder-tree")).to_contain_text("Trips")  # the other tab follows

    row = page.locator("#sessions li.session-item", has_text="Packing list")
    row.drag_to(page.locator("#folder-tree .folder-row", has_text="Trips"))
    expect(page.locator("#sessions")).not_to_contain_text("Packing list")
    expect(other.locator("#sessions")).not_to_contain_text("Packing list")
    toggle.click()
    expect(page.locator("#folder-tree .folder-sessions")).to_contain_text("Packing list")
    axe(page, context="#sidebar")

    page.get_by_role("button", name="Folder actions: Trips").click()
    page.get_by_role("button", name="Edit defaults").click()
    defaults = page.get_by_role("dialog", name="Defaults of “Trips”")
    defaults.get_by_label("Instructions added to every reply").fill("Answer with a checklist.")
    defaults.get_by_role("button", name="Save").click()
    expect(defaults).to_be_hidden()
    assert Folder.objects.get(name="Trips").instructions == "Answer with a checklist."

    page.get_by_role("button", name="Folder actions: Trips").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete “Trips”?")
    expect(dialog.get_by_label("Move its chats out")).to_be_checked()
    axe(page)
    dialog.get_by_role("button", name="Delete").click()

    for tab in (page, other):
        expect(tab.locator("#folder-tree")).not_to_contain_text("Trips")
        expect(tab.locator("#sessions")).to_contain_text("Packing list")
    assert is_focused(page.get_by_role("button", name="New folder"))
    assert Session.objects.get(title="Packing list").deleted_at is None


def test_a_folder_deleted_with_its_one_chat_to_the_trash_and_the_undo(live_url, signed_in: Page, owner):
    folder = call(folder_create, user=owner, name="Old")
    session = call(session_create, user=owner, title="Leftovers")
    call(sessions_move_to_folder, user=owner, session_ids=[session.pk], folder_id=folder.pk)
    page = live(signed_in)
    page.get_by_role("button", name="Folder actions: Old").click()
    page.locator("li.folder").get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete “Old”?")
    dialog.get_by_label("Move them to the trash").check()
    dialog.get_by_label("Move them to the trash").press("Enter")  # deletes (it had pressed Cancel)

    expect(page.locator("#toast-text")).to_have_text("Folder deleted; its chat moved to the trash.")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#announce")).to_have_text("Its chats are back, in no folder; the folder stays deleted.")
    expect(page.locator("#sessions")).to_contain_text("Leftovers")
    assert call(Session.objects.get, pk=session.pk).deleted_at is None

"""Where the focus goes on the chat page, by keyboard, at 1280 and 375 px: the toast and its Undo,
renaming, Send and Stop while a reply runs, a fork's toast, and the sidebar's empty note."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from tests.e2e.keyboard import WIDTHS, choose_chat_action, message_box, ready, tab_to
from tests.e2e.test_branches_page import answered, chat_of
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


@WIDTHS
def test_undo_is_held_while_focused_and_the_focus_then_goes_to_the_message_box(live_url, keyboard: Page, owner, size):
    session = chat_of(owner, "Held", ("user", "keep"))
    page = keyboard
    page.set_viewport_size(size)
    page.clock.install()
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    choose_chat_action(page, "Delete")
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
    choose_chat_action(page, "Delete")
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
    expect(page.locator("#chat-title")).to_have_text("Copy of Road trip")
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
    choose_chat_action(page, "Archive")
    expect(page.locator("#sessions")).not_to_contain_text("To archive")
    expect(note).to_have_text("")
    page.reload()
    expect(note).to_have_text("")
    expect(page.locator("#pinned")).to_contain_text("Pinned only")


@WIDTHS
def test_an_edit_saved_unchanged_adds_no_alternative(live_url, keyboard: Page, owner, size):
    session = chat_of(owner, "Same", ("user", "Hello"), ("assistant", "Hi!"))
    page = keyboard
    page.set_viewport_size(size)
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    question = page.locator("#message-list li.message.user")
    edit = question.get_by_role("button", name="Edit")
    tab_to(page, edit, back=True)
    page.keyboard.press("Enter")
    expect(question.get_by_role("textbox")).to_be_focused()
    page.keyboard.press("Enter")
    expect(question.get_by_role("textbox")).to_have_count(0)
    expect(edit).to_be_focused()
    expect(question.locator(".siblings")).to_have_count(0)
    assert Session.objects.get(pk=session.pk).last_seq == 2


def test_the_arrow_keys_move_through_chat_actions(live_url, keyboard: Page, owner):
    session = chat_of(owner, "Arrows", ("user", "Hello"))
    page = keyboard
    page.goto(f"{live_url}/c/{session.pk}/")
    ready(page)
    tab_to(page, page.get_by_role("button", name="Chat actions"))
    page.keyboard.press("Enter")
    menu = page.locator("#actions-menu")
    expect(menu.get_by_role("button", name="Rename")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("button", name="Pin")).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # round to the last
    expect(menu.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Home")
    expect(menu.get_by_role("button", name="Rename")).to_be_focused()

"""The chat page in a real headless Chromium against Daphne, PostgreSQL and Redis."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash

# Daphne serves from its own connections: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def call(service, **kwargs):
    """Run a service in a thread of its own: this one runs Playwright's event loop, and services
    publish live events through async_to_sync."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_closing_connection, service, kwargs).result()


def chat_action(page: Page, name: str, *, role: str = "button"):
    """Open the "Chat actions" menu and choose `name` in it."""
    page.get_by_role("button", name="Chat actions").click()
    page.locator("#actions-menu").get_by_role(role, name=name, exact=True).click()


def _closing_connection(service, kwargs):
    try:
        return service(**kwargs)
    finally:
        connection.close()


def send(page: Page, text: str) -> None:
    """Send `text` as a person does: once Send is back in Stop's place (the reply before it has ended:
    its text shows in the list a moment before, and Enter then only says the assistant is still answering)."""
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def assistant_messages(page: Page):
    return page.locator("#message-list li.message.assistant")


def test_a_new_chat_streams_a_reply_and_survives_a_reload(live_url, signed_in: Page, owner, artifacts_dir):
    page = signed_in
    expect(page.get_by_role("heading", name="New chat", exact=True)).to_be_visible()
    send(page, "[slow] tell me a story")
    expect(page.locator("#streaming-text")).to_contain_text("Echo:")  # streaming, before the end
    expect(assistant_messages(page).last).to_contain_text("Echo: [slow] tell me a story", timeout=15000)
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}/$"))
    expect(page.locator("#chat-title")).to_have_text("[slow] tell me a story")
    expect(page.locator("#sessions li.session-item.current")).to_contain_text("[slow] tell me a story")

    page.reload()
    expect(page.locator("#message-list li.message.user")).to_have_text(re.compile("tell me a story"))
    expect(assistant_messages(page)).to_have_count(1)
    assert Session.objects.filter(user=owner).count() == 1
    page.screenshot(path=str(artifacts_dir / "chat-1280.png"), full_page=True)


def test_no_empty_session_is_created_by_new_chat(live_url, signed_in: Page, owner):
    page = signed_in
    page.get_by_role("button", name="New chat", exact=True).click()
    page.get_by_role("button", name="New chat", exact=True).click()
    expect(page.locator("#empty-state")).to_be_visible()
    assert not Session.objects.filter(user=owner).exists()


def test_switching_between_two_sessions(live_url, signed_in: Page):
    page = signed_in
    send(page, "first chat about bread")
    expect(assistant_messages(page)).to_have_count(1)
    page.get_by_role("button", name="New chat", exact=True).click()
    expect(page).to_have_url(f"{live_url}/")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    send(page, "second chat about kayaks")
    expect(assistant_messages(page)).to_have_count(1)
    page.locator("#sessions").get_by_role("link", name=re.compile("first chat about bread")).click()
    expect(page.locator("#message-list")).to_contain_text("first chat about bread")
    expect(page.locator("#message-list")).not_to_contain_text("kayaks")
    page.go_back()
    expect(page.locator("#message-list")).to_contain_text("kayaks")
    page.go_forward()
    expect(page.locator("#message-list")).to_contain_text("bread")


def test_rename_in_place(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Old name")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    chat_action(page, "Rename")
    field = page.get_by_label("Chat title")
    field.fill("Shiny new name")
    field.press("Enter")
    expect(page.locator("#chat-title")).to_have_text("Shiny new name")
    expect(page.locator("#sessions li.current")).to_contain_text("Shiny new name")
    session.refresh_from_db()
    assert session.title == "Shiny new name"


def test_search_finds_messages_and_a_hit_opens_the_chat_at_its_message(live_url, signed_in: Page, owner):
    trip = call(session_create, user=owner, title="Holiday planning")
    call(
        utterances_append,
        user=owner,
        session_id=trip.pk,
        utterances=[UtteranceIn(role="user", text="Which museums in Lisbon?")],
    )
    call(session_create, user=owner, title="Sourdough starter")
    page = signed_in
    page.reload()
    page.get_by_label("Search chats").fill("museums")
    results = page.locator("#search-list")
    expect(results.locator("li")).to_have_count(1)
    expect(results).to_contain_text("Holiday planning")
    expect(results.locator("mark")).to_have_text("museums")
    results.get_by_role("link").click()
    landed = page.locator('#message-list li.message[aria-current="location"]')
    expect(landed).to_contain_text("Which museums in Lisbon?")
    expect(landed.locator("mark")).to_have_text("museums")
    expect(page.get_by_label("Search chats")).to_have_value("museums")


def test_delete_moves_to_the_trash_and_undo_brings_the_chat_back(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Doomed")
    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="user", text="keep")],
    )
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    chat_action(page, "Delete")
    expect(page).to_have_url(f"{live_url}/")
    expect(page.get_by_role("status").filter(has_text="Moved to trash.")).to_be_visible()
    expect(page.locator("#sessions")).not_to_contain_text("Doomed")
    assert Session.objects.get(pk=session.pk).deleted_at is not None

    page.get_by_role("button", name="Undo").click()

    expect(page).to_have_url(f"{live_url}/c/{session.pk}/")
    expect(page.locator("#chat-title")).to_have_text("Doomed")
    expect(page.locator("#message-list li.message.user")).to_contain_text(["keep"])
    expect(page.locator("#sessions")).to_contain_text("Doomed")
    assert Session.objects.get(pk=session.pk).deleted_at is None


def test_the_trash_page_restores_deletes_for_good_and_empties(live_url, signed_in: Page, owner):
    titles = ["Restore me", "Remove me", "Empty me"]
    for title in titles:
        created = call(session_create, user=owner, title=title)
        call(session_trash, user=owner, session_id=created.pk)
    page = signed_in
    page.goto(f"{live_url}/")
    page.get_by_role("link", name="Trash").click()
    trash = page.get_by_test_id("trash")
    expect(trash).to_contain_text("Restore me")

    trash.get_by_role("row").filter(has_text="Restore me").get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_contain_text("Restored")
    expect(page.get_by_test_id("trash")).not_to_contain_text("Restore me")

    row = page.get_by_test_id("trash").get_by_role("row").filter(has_text="Remove me")
    row.get_by_text("Delete forever").click()
    row.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("status")).to_contain_text("for good")

    page.get_by_text("Empty trash").click()
    page.get_by_role("button", name="Yes, empty the trash").click()
    expect(page.get_by_test_id("empty-trash")).to_be_visible()
    assert list(Session.objects.values_list("title", flat=True)) == ["Restore me"]
    page.get_by_role("link", name="Back to your chats").click()
    expect(page.locator("#sessions")).to_contain_text("Restore me")


def open_and_listen(page: Page, url: str) -> None:
    """Open a chat page and wait until its socket has opened the session: it hears events from then on."""
    frames = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(frame)))
    page.goto(url)
    for _ in range(200):
        if any("session.opened" in str(frame) for frame in frames):
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page's socket never opened its session")


def test_a_chat_archived_elsewhere_leaves_the_sidebar_of_an_open_page(live_url, signed_in: Page, owner):
    kept = call(session_create, user=owner, title="Kept")
    put_away = call(session_create, user=owner, title="Old plans")
    page = signed_in
    open_and_listen(page, f"{live_url}/c/{kept.pk}/")
    sidebar = page.locator("#sessions")
    expect(sidebar).to_contain_text("Old plans")

    call(session_update, user=owner, session_id=put_away.pk, archived=True)

    expect(sidebar).not_to_contain_text("Old plans")
    expect(sidebar).to_contain_text("Kept")


def test_a_chat_moved_to_the_trash_elsewhere_closes_in_the_page_showing_it(live_url, signed_in: Page, owner):
    doomed = call(session_create, user=owner, title="Trashed by the app")
    page = signed_in
    open_and_listen(page, f"{live_url}/c/{doomed.pk}/")
    expect(page.locator("#chat-title")).to_have_text("Trashed by the app")

    call(session_trash, user=owner, session_id=doomed.pk)

    expect(page).to_have_url(f"{live_url}/")
    expect(page.locator("#sessions")).not_to_contain_text("Trashed by the app")
    assert page.goto(f"{live_url}/c/{doomed.pk}/").status == 404


def test_export_downloads_a_file_holding_the_messages(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Exported")
    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="user", text="keep this line")],
    )
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    with page.expect_download() as info:
        chat_action(page, "Export JSON", role="link")
    download = info.value
    assert download.suggested_filename.endswith(".json")
    data = json.loads(open(download.path()).read())  # noqa: SIM115
    assert [m["text"] for m in data["messages"]] == ["keep this line"]
    with page.expect_download() as info:
        chat_action(page, "Export Markdown", role="link")
    assert "keep this line" in open(info.value.path()).read()  # noqa: SIM115


def test_two_pages_on_one_session_both_show_the_reply(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Shared")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    other = page.context.new_page()
    other.goto(f"{live_url}/c/{session.pk}/")
    expect(other.locator("#chat-title")).to_have_text("Shared")
    send(page, "[slow] hello both tabs")
    expect(other.locator("#streaming-text")).to_contain_text("Echo:")
    for tab in (page, other):
        expect(assistant_messages(tab)).to_contain_text(["Echo: [slow] hello both tabs"], timeout=15000)
        expect(tab.locator("#message-list li.message.user")).to_have_count(1)


def test_a_big_save_elsewhere_shows_up_whole_in_an_open_page_in_a_few_requests(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Voice call")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    expect(page.locator("#chat-title")).to_have_text("Voice call")
    fetches = []
    page.on("request", lambda request: "/messages/?after=" in request.url and fetches.append(request.url))

    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="user" if n % 2 else "assistant", text=f"line {n}") for n in range(450)],
    )

    expect(page.locator("#message-list li.message")).to_have_count(450, timeout=15000)
    expect(page.locator("#message-list li.message").last).to_have_text(re.compile("line 449"))
    assert len(fetches) <= 6, fetches  # pages of 200, not one request per event


def test_html_and_script_in_messages_are_shown_as_text(live_url, signed_in: Page, owner):
    payloads = ['<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=2</script>", "**bold** <b>tag</b>"]
    session = call(session_create, user=owner, title="<i>title</i>")
    for text in payloads:
        call(
            utterances_append,
            user=owner,
            session_id=session.pk,
            utterances=[UtteranceIn(role="user", text=text), UtteranceIn(role="assistant", text=text)],
        )
    page = signed_in
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog) or dialog.dismiss())
    page.goto(f"{live_url}/c/{session.pk}/")
    send(page, '<svg onload="window.__pwned=3">')
    expect(assistant_messages(page)).to_have_count(4)
    expect(page.locator("#message-list li.message.user").first).to_have_text(re.compile("onerror"))
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#message-list img, #message-list script, #message-list svg, #chat-title i").count() == 0
    expect(page.locator("#message-list li.message.assistant strong").first).to_have_text("bold")
    assert dialogs == []


def test_a_draft_survives_a_reload(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Drafty")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    page.get_by_label("Message", exact=True).fill("half a thought")
    page.reload()
    expect(page.get_by_label("Message", exact=True)).to_have_value("half a thought")
    page.get_by_role("button", name="New chat", exact=True).click()
    expect(page.get_by_label("Message", exact=True)).to_have_value("")
    page.go_back()
    expect(page.get_by_label("Message", exact=True)).to_have_value("half a thought")


def test_the_whole_flow_by_keyboard(live_url, signed_in: Page, owner):
    page = signed_in
    page.get_by_label("Message", exact=True).press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    page.keyboard.type("by keyboard only")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    page.keyboard.press("Enter")
    expect(assistant_messages(page)).to_have_count(1, timeout=15000)
    assert Utterance.objects.get(role="user").text == "by keyboard only\nsecond line"
    page.locator("#new-chat").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    page.locator("#sessions a").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#message-list")).to_contain_text("by keyboard only")
    page.wait_for_selector("html[data-ready=true]", state="attached")  # the opened chat's page is wired
    actions = page.get_by_role("button", name="Chat actions")
    actions.focus()
    page.keyboard.press("Enter")  # the menu opens on its first action
    expect(page.get_by_role("button", name="Rename")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type("Keyboard chat")
    page.keyboard.press("Enter")
    expect(page.locator("#chat-title")).to_have_text("Keyboard chat")
    expect(actions).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # closes the menu, back on its button
    expect(page.locator("#actions-menu")).to_be_hidden()
    expect(actions).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(8):  # Pin, Tags…, Archive, Share…, Export JSON, Export Markdown, Move to folder…, Clear
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Clear")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    actions.focus()
    page.keyboard.press("Enter")
    for _ in range(9):  # ... Move to folder…, Clear, Delete
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Moved to trash.")).to_be_visible()
    page.get_by_role("button", name="Undo").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#chat-title")).to_have_text("Keyboard chat")


def test_at_375_pixels_the_sidebar_collapses(live_url, signed_in: Page, owner, artifacts_dir):
    call(session_create, user=owner, title="Narrow chat")
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    page.get_by_role("button", name="Chats", exact=True).click()
    expect(page.locator("#sidebar")).to_be_in_viewport()
    expect(page.locator("#sessions")).to_contain_text("Narrow chat")
    page.screenshot(path=str(artifacts_dir / "chat-375-sidebar.png"))
    page.get_by_role("button", name="Close chats").click()
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    send(page, "small screen")
    expect(assistant_messages(page)).to_have_count(1, timeout=15000)
    page.screenshot(path=str(artifacts_dir / "chat-375.png"), full_page=True)

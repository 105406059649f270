"""The page's core flows on the embedded default: Daphne on SQLite with the local-memory cache and
the in-memory channel layer, as `make run` serves a newcomer. Twenty-four sends in all, each held to
a few seconds, so that a stall in one send of four cannot pass unseen."""

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from tests.servers import ARTIFACTS, ROOT, manage, start_daphne, stop_process

PASSWORD = "an embedded pass phrase 7"
CHATS = 6
SENDS_PER_CHAT = 4
SEND_TIMEOUT_MS = 8000


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("embedded")
    env = {
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "REDIS_URL": "",
        "ASSISTANT_BASE_URL": "",
        "DEBUG": "true",
        "EXPORTS_ROOT": str(folder / "exports"),
        "IMPORTS_ROOT": str(folder / "imports"),
    }
    manage("migrate", "--no-input", env=env)
    return env


@pytest.fixture(scope="module")
def embedded_url(embedded_env):
    ARTIFACTS.mkdir(exist_ok=True)
    process, url = start_daphne(env=embedded_env, log=ARTIFACTS / "daphne-embedded.log")
    yield url
    stop_process(process)


@pytest.fixture
def embedded_worker(embedded_env):
    """A job worker beside the embedded Daphne, in a process of its own, as make run starts it."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | embedded_env
    arguments = ["db_worker", "--no-reload", "--queue-name", "*", "--interval", "0.1", "--no-startup-delay"]
    process = subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=(ARTIFACTS / "db_worker-embedded.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    yield process
    stop_process(process)


def ready(page: Page) -> None:
    """The page's scripts have wired it (before that, Enter in the box only adds a line)."""
    expect(page.locator("html[data-ready=true]")).to_have_count(1)


def send(page: Page, text: str, *, replies: int) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("#message-list li.message.assistant")).to_have_count(replies, timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#streaming")).to_be_hidden(timeout=SEND_TIMEOUT_MS)


def sidebar_titles(page: Page) -> list[str]:
    return page.locator("#sessions li.session-item .session-title").all_inner_texts()


def sign_up(page: Page, url: str, *, email: str, name: str) -> None:
    """A new account through the sign-up page, on the chat page it opens, its scripts wired."""
    page.goto(f"{url}/accounts/signup/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Display name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="New chat", exact=True)).to_be_visible()
    ready(page)


def test_the_core_flows_on_sqlite_and_the_in_memory_layer(embedded_url, page: Page):
    sign_up(page, embedded_url, email="newcomer@example.com", name="Nell Newcomer")
    expect(page.locator("#sidebar-more")).to_have_text("No chats yet.")

    for chat in range(1, CHATS + 1):
        if chat > 1:
            page.get_by_role("button", name="New chat", exact=True).click()
            expect(page.get_by_role("heading", name="New chat", exact=True)).to_be_visible()
        title = f"Chat number {chat} about bread"
        for n in range(1, SENDS_PER_CHAT + 1):
            send(page, title if n == 1 else f"message {n} of chat {chat}", replies=n)
        # One row per chat, the current one carrying the automatic title, and the heading too.
        expect(page.locator("#sessions li.session-item")).to_have_count(chat)
        expect(page.locator("#sessions li.session-item.current .session-title")).to_have_text(title)
        expect(page.locator("#chat-title")).to_have_text(title)
        expect(page.locator("#sessions li.session-item.current .session-count")).to_contain_text(
            str(SENDS_PER_CHAT * 2)
        )
        expect(page.locator("#sidebar-more")).to_have_text("")
    assert len(set(sidebar_titles(page))) == CHATS

    # Switch back to the first chat.
    page.locator("#sessions").get_by_role("link", name=re.compile("Chat number 1 about bread")).click()
    expect(page.locator("#chat-title")).to_have_text("Chat number 1 about bread")
    ready(page)
    expect(page.locator("#message-list")).to_contain_text("message 4 of chat 1")
    expect(page.locator("#message-list")).not_to_contain_text("of chat 2")

    # Rename in place.
    page.get_by_role("button", name="Chat actions").click()
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Chat title").fill("Renamed on SQLite")
    page.get_by_label("Chat title").press("Enter")
    expect(page.locator("#chat-title")).to_have_text("Renamed on SQLite")
    expect(page.locator("#sessions li.current")).to_contain_text("Renamed on SQLite")

    # Edit the last message, see both alternatives, go back to the first, regenerate its reply.
    last_question = page.locator("#message-list li.message.user").last
    last_question.get_by_role("button", name="Edit").click()
    last_question.get_by_role("textbox").fill("message 4 of chat 1, edited")
    last_question.get_by_role("button", name="Save & send").click()
    expect(last_question.locator(".sibling-index")).to_have_text("2/2", timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#streaming")).to_be_hidden(timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#message-list li.message.assistant")).to_have_count(SENDS_PER_CHAT)
    last_question.get_by_role("button", name="Previous alternative").click()
    expect(last_question.locator(".sibling-index")).to_have_text("1/2")
    expect(last_question.locator(".message-body")).to_have_text("message 4 of chat 1")
    last_answer = page.locator("#message-list li.message.assistant").last
    last_answer.get_by_role("button", name="Regenerate").click()
    expect(last_answer.locator(".sibling-index")).to_have_text("2/2", timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#streaming")).to_be_hidden(timeout=SEND_TIMEOUT_MS)

    # Search by message text (the user's message, not its echo).
    page.get_by_label("Search chats").fill('role:user "message 3 of chat 5"')
    results = page.locator("#search-list li")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Chat number 5 about bread")
    page.get_by_label("Search chats").fill("")

    # Delete the renamed chat: to the trash, gone from the list, and in the trash page.
    page.get_by_role("button", name="Chat actions").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text="Moved to trash.")).to_be_visible()
    expect(page.locator("#sessions li.session-item")).to_have_count(CHATS - 1)
    expect(page.locator("#sessions")).not_to_contain_text("Renamed on SQLite")
    page.get_by_role("link", name="Trash").click()
    expect(page.get_by_test_id("trash")).to_contain_text("Renamed on SQLite")
    page.go_back()
    ready(page)

    # A reload shows what the server stored: the same rows.
    page.reload()
    ready(page)
    expect(page.locator("#sessions li.session-item")).to_have_count(CHATS - 1)


def test_the_account_page_follows_an_export_a_worker_builds_to_its_end(embedded_url, embedded_worker, page: Page):
    # The worker's events cannot reach this server's in-memory layer: the page polls instead of
    # waiting for an event that never comes.
    sign_up(page, embedded_url, email="exporter@example.com", name="Ed Exporter")
    send(page, "Something to export", replies=1)

    page.goto(f"{embedded_url}/accounts/")
    page.get_by_role("button", name="Export all my chats").click()

    expect(page.locator("#export-status")).to_contain_text("Your export is ready", timeout=30_000)
    expect(page.locator("#export-download")).to_be_visible()

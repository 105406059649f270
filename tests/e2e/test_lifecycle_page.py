"""Pin, archive, the trash and the account page in a real headless Chromium, with tabs following live."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_restore, session_trash
from tests.e2e.test_chat_page import call, chat_action
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def live(page: Page) -> Page:
    """The page once its socket is open: events published from now on reach it."""
    page.wait_for_selector("html[data-live=true]", state="attached")
    return page


def second_tab(page: Page, url: str) -> Page:
    other = page.context.new_page()
    other.goto(url)
    return live(other)


def test_pinning_moves_the_chat_to_the_pinned_group_in_every_tab(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Keep me handy")
    call(session_create, user=owner, title="Ordinary")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    other = second_tab(page, f"{live_url}/")
    expect(page.locator("#pinned-group")).to_be_hidden()

    chat_action(page, "Pin")

    for tab in (page, other):
        expect(tab.locator("#pinned")).to_contain_text("Keep me handy")
        expect(tab.locator("#sessions")).not_to_contain_text("Keep me handy")
        expect(tab.locator("#sessions")).to_contain_text("Ordinary")
    page.get_by_role("button", name="Chat actions").click()
    expect(page.locator("#actions-menu").get_by_role("button", name="Unpin")).to_be_visible()
    page.locator("#actions-menu").get_by_role("button", name="Unpin").click()
    for tab in (page, other):
        expect(tab.locator("#pinned-group")).to_be_hidden()
        expect(tab.locator("#sessions")).to_contain_text("Keep me handy")
    assert Session.objects.get(pk=session.pk).pinned_at is None
    page.reload()
    expect(page.locator("#sessions")).to_contain_text("Keep me handy")


def test_archiving_takes_the_chat_out_of_the_sidebar_and_the_archived_page_brings_it_back(
    live_url, signed_in: Page, owner
):
    session = call(session_create, user=owner, title="Tax 2025")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    other = second_tab(page, f"{live_url}/")

    chat_action(page, "Archive")

    expect(page.get_by_role("status").filter(has_text="Archived")).to_be_visible()
    for tab in (page, other):
        expect(tab.locator("#sessions")).not_to_contain_text("Tax 2025")
    expect(page.locator("#chat-title")).to_have_text("Tax 2025")  # it still opens where it is
    page.get_by_role("link", name="Archived").click()
    row = page.get_by_test_id("archived").get_by_role("row").filter(has_text="Tax 2025")
    row.get_by_role("button", name="Unarchive").click()
    expect(page.get_by_role("status")).to_contain_text("is back in your chats")
    expect(page.get_by_test_id("no-archived")).to_be_visible()
    expect(other.locator("#sessions")).to_contain_text("Tax 2025")


def test_archive_has_an_undo(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="Oops")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    chat_action(page, "Archive")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#sessions")).to_contain_text("Oops")
    assert Session.objects.get(pk=session.pk).archived_at is None


def test_a_chat_restored_from_the_trash_comes_back_in_other_tabs_at_its_place(live_url, signed_in: Page, owner):
    call(session_create, user=owner, title="Older one")
    restored = call(session_create, user=owner, title="Back from the trash")
    call(session_create, user=owner, title="Newest one")
    page = signed_in
    page.reload()
    live(page)
    call(session_trash, user=owner, session_id=restored.pk)
    expect(page.locator("#sessions")).not_to_contain_text("Back from the trash")

    call(session_restore, user=owner, session_id=restored.pk)

    titles = page.locator("#sessions li.session-item .session-title")
    expect(titles).to_have_text(["Newest one", "Back from the trash", "Older one"])


def test_a_chat_that_expiry_moves_to_the_trash_leaves_every_tab(live_url, signed_in: Page, owner, settings):
    settings.SESSION_RETENTION_DAYS = 30
    idle = call(session_create, user=owner, title="Idle for months")
    call(session_create, user=owner, title="Still in use")
    Session.objects.filter(pk=idle.pk).update(last_activity_at=timezone.now() - timedelta(days=40))
    page = signed_in
    page.goto(f"{live_url}/c/{idle.pk}/")
    live(page)
    other = second_tab(page, f"{live_url}/")
    expect(other.locator("#sessions")).to_contain_text("Idle for months")

    call(lambda: call_command("expire_sessions", stdout=io.StringIO()))

    for tab in (page, other):
        expect(tab.locator("#sessions")).not_to_contain_text("Idle for months")
        expect(tab.locator("#sessions")).to_contain_text("Still in use")
    expect(page).to_have_url(f"{live_url}/")  # the page that showed it opened a new chat


def test_at_375_pixels_the_chat_actions_are_one_menu_that_fits(live_url, signed_in: Page, owner):
    session = call(session_create, user=owner, title="A narrow chat with a rather long title indeed")
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_url}/c/{session.pk}/")
    header = page.locator(".chat-header").bounding_box()
    assert header["height"] < 80  # one row: the actions do not wrap below the title
    page.get_by_role("button", name="Chat actions").click()
    menu = page.locator("#actions-menu")
    for name in ("Rename", "Pin", "Archive", "Clear", "Delete"):
        expect(menu.get_by_role("button", name=name, exact=True)).to_be_in_viewport(ratio=1)
    for name in ("Export JSON", "Export Markdown"):
        expect(menu.get_by_role("link", name=name)).to_be_in_viewport(ratio=1)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()


def test_the_account_page_sets_retention(live_url, signed_in: Page, owner):
    page = signed_in
    page.get_by_role("link", name="Account").first.click()
    page.get_by_label("Keep inactive chats").select_option(label="90 days")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved.")
    expect(page.get_by_label("Keep inactive chats")).to_have_value("90")
    assert User.objects.get(pk=owner.pk).retention_days == 90


def test_the_account_page_exports_with_a_progress_bar_then_a_download(live_url, signed_in: Page, owner, job_worker):
    for n in range(3):
        call(session_create, user=owner, title=f"Exported {n}")
    page = signed_in
    page.goto(f"{live_url}/accounts/")
    page.get_by_role("button", name="Export all my chats").click()
    expect(page.locator("#export-status")).to_contain_text("Your export is ready", timeout=20000)
    expect(page.locator("#export-progress")).to_be_hidden()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the zip").click()
    download = info.value
    assert download.suggested_filename.startswith("chat-export-")
    with open(download.path(), "rb") as file:
        archive = zipfile.ZipFile(io.BytesIO(file.read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert sorted(row["title"] for row in manifest["sessions"]) == ["Exported 0", "Exported 1", "Exported 2"]


def test_the_account_page_deletes_the_account_with_its_password(live_url, signed_in: Page, owner):
    call(session_create, user=owner, title="Gone soon")
    page = signed_in
    page.goto(f"{live_url}/accounts/")
    page.get_by_text("Delete my account", exact=True).click()
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account and all its data").click()
    expect(page.get_by_text("Wrong password.")).to_be_visible()
    assert User.objects.filter(pk=owner.pk).exists()
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Delete my account and all its data").click()
    expect(page).to_have_url(f"{live_url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("Your account and everything in it were deleted.")
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Session.objects.exists()

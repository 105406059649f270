"""Import chats from the account page in a real headless Chromium: the upload, a progress bar while the
worker runs, the report, and the new chats in an open chat tab's sidebar without a reload."""

import pytest
from playwright.sync_api import Page, expect

from conversation.models import Session
from tests.e2e.test_lifecycle_page import second_tab
from tests.imports import samples
from tests.servers import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_account_page_imports_a_chatgpt_zip_and_reports_each_chat(live_url, signed_in: Page, owner, job_worker):
    looped = samples.chatgpt_linear("looped", title="Broken one")
    looped["mapping"]["root"]["parent"] = "m3"
    conversations = [
        samples.chatgpt_trip(),
        looped,
        *(samples.chatgpt_linear(f"c{n}", title=f"Chat {n}") for n in range(3)),
    ]
    page = signed_in
    chat_tab = second_tab(page, f"{live_url}/")
    page.goto(f"{live_url}/accounts/")

    page.get_by_label("Export file").set_input_files(
        {"name": "chatgpt-export.zip", "mimeType": "application/zip", "buffer": samples.chatgpt_zip(conversations)}
    )
    page.get_by_role("button", name="Import chats").click()

    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#import-status")).to_contain_text(
        "Imported chatgpt-export.zip: 4 chats brought in, 1 chat failed", timeout=20000
    )
    expect(page.locator("#import-progress")).to_be_hidden()
    report = page.get_by_role("table")
    expect(report.get_by_role("row")).to_have_count(6)
    trip = report.get_by_role("row").filter(has_text="May trip")
    expect(trip).to_contain_text("Imported")
    expect(report.get_by_role("row").filter(has_text="Broken one")).to_contain_text(
        "Failed: Its messages' parents form a loop."
    )
    page.screenshot(path=ARTIFACTS / "import-report.png", full_page=True)
    for title in ("May trip", "Chat 0", "Chat 2"):
        expect(chat_tab.locator("#sessions")).to_contain_text(title)

    trip.get_by_role("link", name="May trip").click()
    expect(page.locator("#messages")).to_contain_text("Lisbon: 22 °C and trams.")
    assert Session.objects.filter(user=owner).count() == 4

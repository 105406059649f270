"""A revoked log-in reaches the open page at once: it goes to log in, and the draft is still there."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_logging_out_in_another_tab_sends_the_page_to_log_in_with_its_draft_kept(live_url, signed_in: Page, owner):
    page = signed_in
    page.locator("#input").fill("half a thought, not sent yet")

    other = page.context.new_page()
    other.goto(f"{live_url}/accounts/password/")
    other.get_by_role("button", name="Log out").click()
    expect(other).to_have_url(re.compile(r"/accounts/login/$"))

    # The chat page's socket is closed with 4401 by the server: no reload, no click.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)$"), timeout=10000)
    page.get_by_label("E-mail address").fill(owner.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_url}/")
    expect(page.locator("#input")).to_have_value("half a thought, not sent yet")

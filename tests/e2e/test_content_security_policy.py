"""The pages work under their Content-Security-Policy in a real Chromium, with nothing fetched from
outside this server."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def outside_requests_blocked(page: Page, live_url: str) -> list[str]:
    blocked: list[str] = []

    def route(route):
        if route.request.url.startswith(live_url) or route.request.url.startswith("ws://127.0.0.1"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route(re.compile(r".*"), route)
    return blocked


def test_the_chat_page_works_under_its_policy_with_no_violation(live_url, signed_in: Page):
    page = signed_in
    page.add_init_script(RECORD_VIOLATIONS)
    blocked = outside_requests_blocked(page, live_url)
    page.reload()
    page.get_by_label("Message", exact=True).fill("hello under a strict policy")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("#message-list li.message.assistant")).to_contain_text("Echo: hello", timeout=15000)
    assert page.evaluate("window.cspViolations") == []
    assert blocked == []


def test_the_api_docs_render_with_no_outside_network(live_url, page: Page):
    page.add_init_script(RECORD_VIOLATIONS)
    blocked = outside_requests_blocked(page, live_url)
    page.goto(f"{live_url}/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("Chat sessions API"))).to_be_visible(timeout=15000)
    expect(page.get_by_text("/api/sessions/", exact=True).first).to_be_visible()
    assert page.evaluate("window.cspViolations") == []
    assert blocked == []

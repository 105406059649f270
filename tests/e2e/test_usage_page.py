"""Usage shown, in Chromium: the chat header's context gauge after each reply, and the account
page's chart of tokens a day, at 1280 and 375 px, accessible."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from chatproject import live
from conversation import events
from conversation.models import ContextSummary
from conversation.usage.services import usage_record
from tests.e2e.keyboard import NARROW, WIDE
from tests.e2e.test_chat_page import assistant_messages, call, send

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_gauge_shows_the_prompt_of_the_context_after_each_reply_and_on_opening(
    live_url, signed_in: Page, axe, assert_no_sideways_scroll
):
    page = signed_in
    gauge = page.locator("#context-gauge")
    expect(gauge).to_be_hidden()  # a new chat has no context yet
    send(page, "hello there")
    expect(assistant_messages(page).last).to_contain_text("Echo: hello there")
    expect(page.locator("#context-gauge-text")).to_have_text(re.compile(r"^\d+(\.\d)?k? of 8k tokens$"))
    meter = page.get_by_role("meter", name="Context")
    expect(meter).to_have_attribute(
        "aria-valuetext", re.compile(r"^[\d,]+ of 8,192 tokens; a prompt holds up to 6,144")
    )
    first = int(gauge.get_attribute("data-prompt"))
    assert first > 0
    expect(page.locator("#context-gauge-summary")).to_be_hidden()

    send(page, "and a second question, somewhat longer than the first one was")
    expect(assistant_messages(page)).to_have_count(2)
    expect(gauge).not_to_have_attribute("data-prompt", str(first))  # read again after the reply
    assert int(gauge.get_attribute("data-prompt")) > first

    page.set_viewport_size(NARROW)
    page.reload()
    expect(page.locator("#context-gauge-text")).to_have_text(re.compile(r" of 8k tokens$"))  # read when the chat opens
    assert_no_sideways_scroll(page)
    axe(page, context=".chat-header")


def summarize_first_message(session_id) -> None:
    """A summary of the chat's first message, as the summaries' job would leave it, and its event."""
    summary = ContextSummary.objects.create(
        session_id=session_id, branch=0, seq=1, text="They said hello.", tokens=5, messages=1, made_by="test"
    )
    live.publish_now(
        [(events.session_group(session_id), events.context_changed(session_id=session_id, summary=summary))]
    )


def test_a_summary_made_meanwhile_shows_on_the_gauge(live_url, signed_in: Page):
    page = signed_in
    send(page, "hello there")
    expect(assistant_messages(page).last).to_contain_text("Echo: hello there")
    expect(page.locator("#context-gauge")).to_be_visible()
    session_id = page.url.rstrip("/").split("/")[-1]
    expect(page.locator("#context-gauge-summary")).to_be_hidden()
    call(summarize_first_message, session_id=session_id)
    expect(page.locator("#context-gauge-summary")).to_have_text("· earlier messages summarized", use_inner_text=True)
    expect(page.locator("#context-gauge-summary")).to_be_visible()


def test_the_account_page_charts_the_tokens_of_30_days(
    live_url, signed_in: Page, owner, axe, assert_no_sideways_scroll
):
    today = timezone.localdate()
    for ago, prompt, completion, estimated in ((0, 3200, 400, False), (2, 900, 80, True), (29, 50, 5, False)):
        call(
            usage_record,
            user_id=owner.pk,
            prompt_tokens=prompt,
            completion_tokens=completion,
            estimated=estimated,
            day=today - timedelta(ago),
        )
    page = signed_in
    for size in (WIDE, NARROW):
        page.set_viewport_size(size)
        page.goto(f"{live_url}/accounts/")
        chart = page.get_by_role("img", name="Tokens used a day, the last 30 days")
        expect(chart).to_be_visible()
        expect(chart.locator("g.usage-day")).to_have_count(30)
        expect(chart.locator("rect.usage-completion")).to_have_count(3)
        expect(chart.locator("circle.usage-estimated")).to_have_count(1)
        expect(chart).to_have_attribute("aria-labelledby", "usage-chart-title usage-chart-desc")
        assert chart.bounding_box()["width"] <= size["width"]
        page.get_by_text("The 30 days as a table").click()
        expect(page.locator(".usage-table tbody tr")).to_have_count(30)
        expect(page.locator(".usage-table tbody tr").last).to_contain_text("3,200")
        assert_no_sideways_scroll(page)
        axe(page)

"""A search hit lands on its message (docs/landing.md): on its branch, marked, with the banner of
another version; next/previous hit without typing again; "Continue from here" switches the head."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversation.branches.edits import utterance_edit
from conversation.models import Session
from tests.e2e.test_branches_page import chat_of
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_hit_on_another_branch_lands_on_it_and_next_hit_moves_on(
    live_url, signed_in: Page, owner, axe, assert_no_sideways_scroll
):
    trip = chat_of(
        owner,
        "Trip",
        ("user", "Hello"),
        ("assistant", "Hi"),
        ("user", "Plan a zanzibar trip"),
        ("assistant", "Day one: beaches"),
    )
    call(utterance_edit, user=owner, session_id=trip.pk, seq=3, text="Plan a lisbon trip")  # seq 5, active
    other = chat_of(owner, "Other", ("user", "Zanzibar, zanzibar again"))  # the better hit: first
    page = signed_in

    page.get_by_label("Search chats").fill("tag:trip")  # a filter alone: advice, not a failure
    expect(page.locator("#search-status")).to_have_text(
        "Add a word to search for: tag:, folder:, before: and after: only narrow a search."
    )
    page.get_by_label("Search chats").fill("zanzibar")
    results = page.locator("#search-list li.hit")
    expect(results).to_have_count(2)
    expect(page.locator("#search-status")).to_have_text("2 messages found")  # messages, not chats
    expect(results.first).to_have_attribute("data-session-id", str(other.pk))
    trip_hit = results.nth(1)
    expect(trip_hit).to_have_attribute("data-seq", "3")
    expect(trip_hit.locator("mark")).to_have_text("zanzibar")
    expect(trip_hit.locator(".hit-note")).to_have_text("other version")
    trip_hit.get_by_role("link").click()

    page.wait_for_url(re.compile(rf"/c/{trip.pk}/\?at=3&q=zanzibar"))
    page.wait_for_selector("html[data-ready=true]", state="attached")
    landed = page.locator('#message-list li.message[data-seq="3"]')
    expect(landed).to_have_attribute("aria-current", "location")
    expect(landed.locator(".message-body mark")).to_have_text("zanzibar")
    expect(page.locator("#message-list")).not_to_contain_text("lisbon")
    expect(page.get_by_role("status").filter(has_text="another version of this chat")).to_be_visible()
    expect(page.get_by_label("Search chats")).to_have_value("zanzibar")
    expect(trip_hit.get_by_role("link")).to_have_attribute("aria-current", "true")
    expect(page.locator("#hit-position")).to_have_text("Result 2 of 2")
    expect(trip_hit.get_by_role("link")).to_be_focused()
    axe(page, label="landed on another version")
    page.set_viewport_size({"width": 375, "height": 740})
    expect(page.get_by_role("button", name="Continue from here")).to_be_in_viewport()
    assert_no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Previous result").click()
    page.wait_for_url(re.compile(rf"/c/{other.pk}/\?at=1&q=zanzibar"))
    expect(page.locator('#message-list li.message[data-seq="1"]')).to_have_attribute("aria-current", "location")
    expect(page.locator("#landing-banner")).to_be_hidden()
    expect(page.get_by_label("Search chats")).to_have_value("zanzibar")
    # The first hit: Previous is off, so the focus is the box's.
    expect(page.get_by_role("button", name="Previous result")).to_be_disabled()
    expect(page.get_by_label("Search chats")).to_be_focused()

    # By keyboard: Enter in the box is the next hit.
    page.get_by_label("Search chats").press("Enter")
    page.wait_for_url(re.compile(rf"/c/{trip.pk}/\?at=3&q=zanzibar"))
    expect(page.get_by_label("Search chats")).to_be_focused()

    page.get_by_role("button", name="Continue from here").click()
    expect(page.locator("#announce")).to_have_text("This version is now the current one.")
    expect(trip_hit.locator(".hit-note")).to_have_count(0)  # the hit is on the current version now
    expect(trip_hit.get_by_role("link")).to_have_attribute("aria-current", "true")
    expect(page.locator("#landing-banner")).to_be_hidden()
    assert call(Session.objects.values_list("head_seq", flat=True).get, pk=trip.pk) == 4
    expect(page.locator("#message-list")).to_contain_text("Day one: beaches")
    expect(page.locator("#message-list")).not_to_contain_text("lisbon")


def test_a_page_opened_in_the_middle_loads_older_and_newer_on_scroll(live_url, signed_in: Page, owner):
    session = chat_of(owner, "Long", *[("user", f"message {n}") for n in range(1, 161)])
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/?at=80")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    messages = page.locator("#message-list li.message")
    expect(page.locator('#message-list li.message[data-seq="80"]')).to_be_in_viewport()
    expect(messages.first).to_have_attribute("data-seq", "56")
    expect(messages.last).to_have_attribute("data-seq", "105")

    for last in ("155", "160"):  # each time the end comes into view, the next page
        page.locator("#messages").evaluate("(box) => { box.scrollTop = box.scrollHeight; }")
        expect(messages.last).to_have_attribute("data-seq", last)
    expect(page.locator("#newer")).to_be_hidden()
    page.locator("#messages").evaluate("(box) => { box.scrollTop = 0; }")
    expect(messages.first).to_have_attribute("data-seq", "6")


def test_a_message_sent_from_another_version_shows_the_chats_end(live_url, signed_in: Page, owner):
    session = chat_of(owner, "Forked", ("user", "First question"), ("assistant", "First answer"))
    call(utterance_edit, user=owner, session_id=session.pk, seq=1, text="Better question")
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/?at=1")
    page.wait_for_selector("html[data-live=true]", state="attached")
    expect(page.locator("#landing-banner")).to_be_visible()
    page.get_by_label("Message", exact=True).fill("And then?")
    page.get_by_label("Message", exact=True).press("Enter")
    expect(page.locator("#landing-banner")).to_be_hidden()
    expect(page.locator("#message-list li.message.user .message-body")).to_have_text(["Better question", "And then?"])


def test_landing_scrolls_the_conversation_never_the_page(live_url, signed_in: Page, owner):
    turns = [("user" if n % 2 else "assistant", f"turn {n}") for n in range(1, 41)]
    session = chat_of(owner, "Tall", *turns)
    call(utterance_edit, user=owner, session_id=session.pk, seq=39, text="turn 39 again")  # alternatives
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/?at=39")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    expect(page.locator('#message-list li.message[data-seq="39"]')).to_be_in_viewport()
    # A message's visually hidden "Alternative 1 of 2" stays inside the conversation's scroll box:
    # the page is never taller than the window, so landing never scrolls the header away.
    expect(page.locator("html")).to_have_js_property("scrollTop", 0)
    expect(page.locator(".site-header")).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Continue from here")).to_be_in_viewport(ratio=1)

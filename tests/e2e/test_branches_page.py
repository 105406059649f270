"""The tree on the page: edit in place, alternatives ("< 2/3 >"), regenerate, copy, branch into a new
chat, and a head moved elsewhere (another tab, a program) showing the branch now active."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversation.branches.edits import utterance_regenerate_prepare
from conversation.branches.head import session_switch
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Utterance
from conversation.sessions.create import session_create
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def chat_of(owner, title: str, *turns: tuple[str, str]):
    """A chat of the owner's with these (role, text) turns, stored through the services."""
    session = call(session_create, user=owner, title=title)
    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role=role, text=text) for role, text in turns],
    )
    return session


def test_a_switch_made_elsewhere_shows_the_other_branch_without_a_reload(live_url, signed_in: Page, owner):
    session = chat_of(owner, "Branchy", ("user", "Q1"), ("assistant", "A1"), ("user", "Q2"), ("assistant", "A2 first"))
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    page.wait_for_selector("html[data-live=true]", state="attached")  # its socket is open
    expect(page.locator("#message-list")).to_contain_text("A2 first")

    call(utterance_regenerate_prepare, user=owner, session_id=session.pk, seq=4)
    call(
        utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="assistant", text="A2 second")],
    )
    expect(page.locator("#message-list")).to_contain_text("A2 second")
    expect(page.locator("#message-list")).not_to_contain_text("A2 first")

    call(session_switch, user=owner, session_id=session.pk, seq=4)
    expect(page.locator("#message-list")).to_contain_text("A2 first")
    expect(page.locator("#message-list")).not_to_contain_text("A2 second")


def replies(page: Page):
    return page.locator("#message-list li.message.assistant .message-body")


def answered(page: Page, texts: list[str]) -> None:
    """The replies shown, and the page done with the last one (its streaming bubble gone): until
    then it refuses a switch as still answering."""
    expect(replies(page)).to_have_text(texts, timeout=15000)
    expect(page.locator("#streaming")).to_be_hidden()


def test_edit_see_both_alternatives_regenerate_copy_and_fork(live_url, signed_in: Page, owner, context):
    page = signed_in
    page.get_by_label("Message", exact=True).fill("Q1")
    page.get_by_label("Message", exact=True).press("Enter")
    answered(page, ["Echo: Q1"])
    session_id = re.search(r"/c/([0-9a-f-]{36})/", page.url).group(1)

    # Edit in place: Save & send stores the edit on a new branch and the reply follows it.
    question = page.locator("#message-list li.message.user")
    question.get_by_role("button", name="Edit").click()
    field = question.get_by_role("textbox", name=re.compile("Edit your message"))
    expect(field).to_have_value("Q1")
    expect(field).to_be_focused()
    field.fill("Q1 better")
    question.get_by_role("button", name="Save & send").click()
    answered(page, ["Echo: Q1 better"])
    expect(question.locator(".sibling-index")).to_have_text("2/2")
    expect(question.locator(".message-body")).to_have_text("Q1 better")

    # Back to 1/2 from the keyboard: the first question and its reply, announced.
    question.get_by_role("button", name="Previous alternative").focus()
    page.keyboard.press("Enter")
    expect(replies(page)).to_have_text(["Echo: Q1"])
    expect(question.locator(".sibling-index")).to_have_text("1/2")
    expect(question.get_by_role("button", name="Next alternative")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Alternative 1 of 2")

    # Regenerate the first reply: a second reply beside it.
    page.locator("#message-list li.message.assistant").get_by_role("button", name="Regenerate").click()
    expect(page.locator("#message-list li.message.assistant .sibling-index")).to_have_text("2/2", timeout=15000)
    answered(page, ["Echo: Q1"])
    assert Utterance.objects.filter(session_id=session_id, role="assistant").count() == 3

    # Copy gives the reply's stored text.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    page.locator("#message-list li.message.assistant").get_by_role("button", name="Copy").click()
    expect(page.locator("#message-list li.message.assistant").get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "Echo: Q1"

    # Branch into a new chat at the reply: a chat of its own with the branch up to it.
    page.locator("#message-list li.message.assistant").get_by_role("button", name="Branch into new chat").click()
    page.wait_for_url(re.compile(r"/c/[0-9a-f-]{36}/"))
    expect(page).not_to_have_url(re.compile(session_id))
    page.wait_for_selector("html[data-ready=true]", state="attached")
    expect(page.locator("#message-list li.message .message-body")).to_have_text(["Q1", "Echo: Q1"])
    expect(page.locator("#sessions li.session-item")).to_have_count(2)


def test_an_edit_being_typed_survives_a_reload_and_escape_cancels_it(live_url, signed_in: Page, owner):
    session = chat_of(owner, "Careful", ("user", "Q1"), ("assistant", "A1"))
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    question = page.locator("#message-list li.message.user")
    question.get_by_role("button", name="Edit").click()
    question.get_by_role("textbox").fill("Q1 with second thoughts")

    page.reload()
    page.wait_for_selector("html[data-ready=true]", state="attached")
    field = question.get_by_role("textbox")
    expect(field).to_have_value("Q1 with second thoughts")
    field.press("Escape")
    expect(question.get_by_role("textbox")).to_have_count(0)
    expect(question.locator(".message-body")).to_have_text("Q1")
    expect(question.get_by_role("button", name="Edit")).to_be_focused()
    page.reload()
    page.wait_for_selector("html[data-ready=true]", state="attached")
    expect(question.get_by_role("textbox")).to_have_count(0)
    assert Utterance.objects.filter(session=session).count() == 2

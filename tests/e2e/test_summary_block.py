"""'Earlier in this chat' in Chromium: a long chat's summary shown above the first message the model
sees, collapsed, expanded and edited by keyboard (the edit saved through the API, Escape leaving an
edit unsaved), redrawn when another tab rewrites it (context.changed), axe clean, at 375 and 1280 px
with no sideways scroll."""

import pytest
from playwright.sync_api import Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import ContextSummary, Session
from conversation.replies.turn import prompt_for_session
from conversation.sessions.create import session_create
from conversation.summaries.services import summary_edit, summary_refresh
from tests.e2e.keyboard import tab_to
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _summaries_on(settings):
    settings.SUMMARY_EVERY_MESSAGES = 10  # the summary is made here, in the test (the page's server queues none)


# The id of the link (or none) that a tap at the gauge's summary link's centre lands on.
TAPPED_AT_ITS_CENTRE = """() => {
  const link = document.getElementById("context-gauge-summary");
  const box = link.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return hit?.closest("a, button")?.id ?? null;
}"""


def long_chat(owner) -> tuple[str, int]:
    """40 messages of about 250 tokens: the default context (8,192 less 2,048) drops the oldest;
    their summary made as the background job makes it (the offline rule, in this process)."""
    session_id = call(session_create, user=owner, title="Long chat").pk
    words = lambda n: " ".join(f"topic{n}x{i}" for i in range(110))  # noqa: E731
    messages = [
        UtteranceIn(role="user" if n % 2 else "assistant", text=f"Message {n}. {words(n)}") for n in range(1, 41)
    ]
    call(utterances_append, user=owner, session_id=session_id, utterances=messages)
    while call(summary_refresh, session_id=session_id).more:
        pass
    session = Session.objects.select_related("persona").get(pk=session_id)
    return session_id, prompt_for_session(session=session)[0].first_seq


def test_the_summary_is_shown_collapsed_expanded_and_edited_by_keyboard(
    live_url, signed_in: Page, owner, axe, assert_no_sideways_scroll
):
    session_id, first_seq = long_chat(owner)
    assert ContextSummary.objects.filter(session_id=session_id).exists()
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_url}/c/{session_id}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")

    block = page.locator("#context-summary")
    disclosure = block.locator("summary")
    expect(disclosure).to_contain_text("Earlier in this chat")
    expect(page.locator("#context-summary + li.message")).to_have_attribute("data-seq", str(first_seq))
    text = block.locator(".context-summary-text")
    expect(text).to_be_hidden()  # collapsed

    # The gauge under the title says so on a phone too, and leads to the block, opened.
    to_block = page.get_by_role("link", name="Earlier messages summarized: open the summary")
    expect(to_block).to_have_text("· summary", use_inner_text=True)
    for width in (320, 375):  # it fits beside the Chat actions button, and a tap on it opens the block
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(TAPPED_AT_ITS_CENTRE) == "context-gauge-summary", width
    to_block.click()
    expect(block.locator("details")).to_have_js_property("open", True)
    expect(disclosure).to_be_focused()
    page.keyboard.press("Enter")
    expect(block.locator("details")).to_have_js_property("open", False)

    disclosure.focus()
    page.keyboard.press("Enter")
    expect(block.locator("details")).to_have_js_property("open", True)
    expect(text).to_be_visible()
    expect(text).to_contain_text("Message ")
    facts = block.locator(".context-summary-facts")
    expect(facts).to_contain_text("Made of the messages' first sentences (no model is set up to write it).")
    assert_no_sideways_scroll(page)
    axe(page)

    edit = block.get_by_role("button", name="Edit summary")
    tab_to(page, edit)
    page.keyboard.press("Enter")
    field = block.get_by_label("Summary", exact=True)
    expect(field).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("We chose the blue plan.")
    tab_to(page, block.get_by_role("button", name="Save summary"))
    page.keyboard.press("Enter")
    expect(block.locator(".context-summary-status")).to_have_text("Summary saved.")
    expect(edit).to_be_focused()
    expect(text).to_have_text("We chose the blue plan.")
    expect(facts).to_contain_text("Edited by you.")
    assert ContextSummary.objects.filter(session_id=session_id).latest("seq").text == "We chose the blue plan."
    axe(page)

    # Escape leaves the editor, nothing saved.
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    page.keyboard.type(" Not this.")
    page.keyboard.press("Escape")
    expect(edit).to_be_focused()
    expect(text).to_have_text("We chose the blue plan.")

    # Another tab (here the service itself) rewrites it: the page hears context.changed.
    call(summary_edit, user=owner, session_id=session_id, text="Rewritten elsewhere.")
    expect(text).to_have_text("Rewritten elsewhere.")

    page.keyboard.press("Shift+Tab")
    expect(disclosure).to_be_focused()
    page.keyboard.press("Enter")
    expect(block.locator("details")).to_have_js_property("open", False)
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(disclosure).to_be_visible()
    assert_no_sideways_scroll(page)


def later(owner, session_id: str, count: int, *, length: int = 110) -> int:
    """`count` more messages of `length` words, of which no summary is made; how many messages are then
    in neither the summary nor the prompt (one branch: seqs are the messages' numbers)."""
    words = lambda n: " ".join(f"later{n}x{i}" for i in range(length))  # noqa: E731
    messages = [UtteranceIn(role="user" if n % 2 else "assistant", text=f"Later. {words(n)}") for n in range(count)]
    call(utterances_append, user=owner, session_id=session_id, utterances=messages)
    session = Session.objects.select_related("persona").get(pk=session_id)
    summary = ContextSummary.objects.filter(session_id=session_id).latest("seq")
    return prompt_for_session(session=session)[0].first_seq - summary.seq - 1


def open_chat(page: Page, live_url: str, session_id: str) -> None:
    page.goto(f"{live_url}/c/{session_id}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    seq = ContextSummary.objects.filter(session_id=session_id).latest("seq").seq
    expect(page.locator(f"li.message[data-seq='{seq + 1}']")).to_be_attached()  # loaded


def test_messages_between_the_summary_and_the_block_are_said_to_be_in_neither_yet(live_url, signed_in: Page, owner):
    session_id, _ = long_chat(owner)
    summary = ContextSummary.objects.filter(session_id=session_id).latest("seq")
    pending = later(owner, session_id, 20)
    assert pending > 1
    open_chat(signed_in, live_url, session_id)
    expect(signed_in.locator("#context-summary summary")).to_contain_text(
        f"a summary of the first {summary.messages} messages; the {pending} just above are not in it yet"
    )


def test_one_message_in_neither_is_said_in_the_singular(live_url, signed_in: Page, owner):
    session_id, _ = long_chat(owner)
    pending, added = 0, 0
    while pending == 0 and added < 200:  # a short message pushes at most one long one out
        pending, added = later(owner, session_id, 1, length=10), added + 1
    assert pending == 1
    open_chat(signed_in, live_url, session_id)
    expect(signed_in.locator("#context-summary summary")).to_contain_text(
        "messages; the message just above is not in it yet"
    )


def test_a_summary_made_while_its_owner_edits_is_shown_before_their_text_replaces_it(
    live_url, signed_in: Page, owner, axe
):
    session_id, _ = long_chat(owner)
    call(summary_edit, user=owner, session_id=session_id, text="Our plan so far.")
    page = signed_in
    open_chat(page, live_url, session_id)
    block = page.locator("#context-summary")
    block.locator("summary").click()
    facts = block.locator(".context-summary-facts")
    expect(facts).to_contain_text("Edited by you.")
    block.get_by_role("button", name="Edit summary").click()
    field = block.get_by_label("Summary", exact=True)
    field.fill("My own plan.")
    read = ContextSummary.objects.filter(session_id=session_id).latest("seq")

    later(owner, session_id, 30)  # meanwhile, more messages and a newer summary
    while call(summary_refresh, session_id=session_id).more:
        pass
    newer = ContextSummary.objects.filter(session_id=session_id).latest("seq")
    assert newer.seq > read.seq

    block.get_by_role("button", name="Save summary").click()
    alert = block.get_by_role("alert")
    expect(alert).to_contain_text(f"A newer summary, of the first {newer.messages} messages, was made while you")
    expect(block.locator(".context-summary-text")).to_have_text(newer.text)
    expect(facts).to_contain_text("Made of the messages' first sentences")  # the newer one's, not the edit's
    expect(field).to_have_value("My own plan.")
    expect(field).to_be_focused()
    assert ContextSummary.objects.get(pk=newer.pk).edited_at is None
    axe(page)

    block.get_by_role("button", name="Save summary").click()  # read, and saved again
    expect(block.locator(".context-summary-status")).to_have_text("Summary saved.")
    expect(block.locator(".context-summary-text")).to_have_text("My own plan.")
    assert ContextSummary.objects.get(pk=newer.pk).text == "My own plan."

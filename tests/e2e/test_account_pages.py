"""The account and devices pages walked by a newcomer, at 1280 and 375 px: the focus stays on the export
and import buttons while their jobs run (the results are announced, never grabbed), a new token
takes the focus, Revoke asks first; the header's links are touch-sized and wrap to two lines at
most on a phone, the Clear dialog keeps off the screen's edges, and a select's text keeps off its arrow."""

import itertools
import json

import pytest
from playwright.sync_api import Page, expect

from accounts import services as account_services
from tests.e2e.keyboard import NARROW, WIDE, WIDTHS, is_focused, tab_to
from tests.e2e.test_accessibility import chat_with_turns
from tests.e2e.test_chat_page import chat_action
from tests.imports import samples

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_NAME = "Kitchen tablet"


def box(locator) -> dict:
    return locator.evaluate(
        "(el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }"
    )


def test_exporting_by_keyboard_keeps_the_focus_on_the_button_and_announces_the_zip(
    live_url, keyboard: Page, job_worker
):
    page = keyboard
    page.goto(f"{live_url}/accounts/")
    button = page.get_by_role("button", name="Export all my chats")
    tab_to(page, button)

    page.keyboard.press("Enter")

    expect(page.locator("#export-download")).to_be_visible(timeout=20000)
    assert is_focused(button)  # neither dropped to the body nor taken by the new link
    expect(page.locator("#export-status")).to_have_attribute("role", "status")
    expect(page.locator("#export-status")).to_contain_text("Your export is ready")
    expect(button).to_have_attribute("aria-disabled", "false")


def test_importing_by_keyboard_keeps_the_focus_and_a_chat_already_here_shows_no_zero(
    live_url, keyboard: Page, job_worker
):
    page = keyboard
    page.goto(f"{live_url}/accounts/")
    payload = json.dumps([samples.chatgpt_linear("c1", title="Lisbon", turns=3)]).encode()
    upload = {"name": "conversations.json", "mimeType": "application/json", "buffer": payload}
    button = page.get_by_role("button", name="Import chats")
    status = page.locator("#import-status")
    report = page.locator("table.import-report")

    for said, result in (("1 chat brought in", "Imported"), ("1 chat already here", "Already here")):
        page.get_by_label("Export file").set_input_files(upload)
        tab_to(page, button)
        page.keyboard.press("Enter")
        expect(status).to_have_text(f"Imported conversations.json: {said}.", timeout=20000)
        expect(report.locator("tbody tr")).to_have_count(1)
        expect(report.locator("tbody tr")).to_contain_text(result)
        assert is_focused(button)
        expect(button).to_have_attribute("aria-disabled", "false")

    messages = report.locator("tbody td").nth(2)
    expect(messages).to_have_text("—none added")  # seen as "—", heard as "none added"
    expect(messages.locator("[aria-hidden=true]")).to_have_text("—")


def middle(target: dict) -> float:
    return target["y"] + target["h"] / 2


@WIDTHS
def test_a_new_token_takes_the_focus_and_the_next_tab_is_its_copy_button(live_url, keyboard: Page, size):
    page = keyboard
    page.set_viewport_size(size)
    page.goto(f"{live_url}/accounts/tokens/")
    tab_to(page, page.get_by_label("Name", exact=True))
    page.keyboard.type(TOKEN_NAME)
    page.keyboard.press("Enter")

    expect(page.locator(".new-token")).to_be_focused()
    expect(page.locator(".new-token")).to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Copy")).to_be_focused()


@WIDTHS
def test_revoke_asks_first_and_its_confirmation_names_the_token(live_url, signed_in: Page, owner, size):
    account_services.device_token_create(user=owner, name=TOKEN_NAME)
    page = signed_in
    page.set_viewport_size(size)
    page.goto(f"{live_url}/accounts/tokens/")
    revoke = page.locator("summary", has_text="Revoke")
    confirm = page.get_by_role("button", name=f"Yes, revoke “{TOKEN_NAME}”")
    expect(confirm).to_be_hidden()
    target = box(revoke)
    assert min(target["h"], target["w"]) >= 24, target
    assert 0 <= target["x"] <= size["width"] - target["w"], target

    revoke.click()

    expect(page.get_by_test_id("tokens")).to_contain_text(TOKEN_NAME)  # nothing revoked yet
    expect(confirm).to_be_visible()
    assert box(confirm)["x"] + box(confirm)["w"] <= size["width"]
    confirm.click()
    expect(page.locator(".flash")).to_contain_text("Token revoked")
    expect(page.get_by_test_id("no-tokens")).to_be_visible()


@WIDTHS
def test_the_header_links_are_touch_sized_and_take_two_lines_at_most(live_url, signed_in: Page, size):
    page = signed_in
    page.set_viewport_size(size)
    for path in ("/accounts/", "/accounts/password/", "/accounts/tokens/", "/trash/"):
        page.goto(f"{live_url}{path}")
        menu = page.locator(".user-menu")
        controls = [*menu.locator("> a").all(), menu.get_by_role("button", name="Log out")]
        assert len(controls) == 4
        middles = [middle(box(page.locator(".brand")))]
        for control in controls:
            target = box(control)
            assert target["h"] >= 32, (path, target)
            assert target["w"] >= 24, (path, target)
            assert target["x"] + target["w"] <= size["width"], (path, target)
            middles.append(middle(target))
        ordered = sorted(middles)
        lines = 1 + sum(1 for above, below in itertools.pairwise(ordered) if below - above > 16)
        assert lines <= (1 if size == WIDE else 2), (path, middles)


def test_the_clear_dialog_keeps_off_the_screens_edges_on_a_phone(live_url, signed_in: Page, owner):
    session = chat_with_turns(owner, "Sourdough starter", "How often do I feed it?", "Once a day.")
    page = signed_in
    page.set_viewport_size(NARROW)
    page.goto(f"{live_url}/c/{session.pk}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")

    chat_action(page, "Clear")

    dialog = box(page.locator("#confirm"))
    assert 15 <= dialog["x"] <= NARROW["width"] - 15 - dialog["w"], dialog


@WIDTHS
def test_the_keep_inactive_chats_select_keeps_its_text_off_its_arrow(live_url, signed_in: Page, size):
    page = signed_in
    page.set_viewport_size(size)
    page.goto(f"{live_url}/accounts/")
    select = page.get_by_label("Keep inactive chats")
    expect(select).to_contain_text("As long as the service keeps them")
    room = select.evaluate(
        """(select) => {
          const style = getComputedStyle(select);
          const context = document.createElement("canvas").getContext("2d");
          context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const text = context.measureText(select.selectedOptions[0].text).width;
          const inner = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return { text, inner, padding: parseFloat(style.paddingRight), right: select.getBoundingClientRect().right };
        }"""
    )
    assert room["padding"] >= 32, room  # the arrow's room
    assert room["text"] <= room["inner"], room
    assert room["right"] <= size["width"], room

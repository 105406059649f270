"""The pages on a phone (375 px): nothing scrolls sideways, the tables become cards whose buttons
stay on screen, the chat's title and the message box keep their room, the offline banner stays a
line or two, touch targets are at least 24x24 px; and the Devices page's copy button."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from account_data.views import IMPORT_TEXTS, fill, human_size
from accounts import services as account_services
from conversation.branches.edits import utterance_regenerate_prepare
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from imports.models import ConversationImport, ConversationImportRow
from tests.e2e.test_chat_page import call
from tests.servers import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 800}
LONG_TITLE = "Planning the three-day Lisbon trip with the whole family in May"
TRASHED_TITLE = "Averyveryverylongtitlewithoutanyspacesatallthatmustwrap"
TOKEN_NAME = "Voice agent on the kitchen tablet"

# Each visible control or cell that reaches past the viewport's left or right edge (the closed
# drawer, moved wholly off to the left, is not visible; a stacked table's header is clipped to a
# pixel: its cells are inside that), and the document's scroll and client widths.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const outside = [...document.querySelectorAll("a, button, input, select, textarea, summary, td, th, code")]
    .filter((el) => !el.closest("table.stack thead"))
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > 0; })
    .filter((el) => { const r = el.getBoundingClientRect(); return r.left < -0.5 || r.right > width + 0.5; })
    .map((el) => el.outerHTML.slice(0, 80));
  const root = document.scrollingElement;
  return { scroll: root.scrollWidth, client: root.clientWidth, outside };
}"""


def fits(page: Page, name: str) -> None:
    """The page neither scrolls sideways nor puts a control beyond the viewport's sides."""
    page.screenshot(path=ARTIFACTS / f"phone-{name}.png", full_page=True)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["client"], (name, found)
    assert found["outside"] == [], (name, found)


def size_of(locator) -> dict:
    return locator.evaluate("(el) => { const r = el.getBoundingClientRect(); return {w: r.width, h: r.height}; }")


def cells_heard(page: Page) -> dict[str, list[str]]:
    """What the browser's accessibility tree (a screen reader's view) has of the page's tables:
    each table role's nodes' names."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    heard: dict[str, list[str]] = {}
    for node in tree["nodes"]:
        role = node.get("role", {}).get("value")
        if not node.get("ignored") and role in ("table", "row", "columnheader", "cell"):
            heard.setdefault(role, []).append(node.get("name", {}).get("value", ""))
    return heard


def chat_with_alternatives(owner, title: str):
    """A chat whose last reply has a second alternative: its tools show "< 2/2 >"."""
    session = call(session_create, user=owner, title=title)
    turns = [UtteranceIn(role="user", text="Where to first?"), UtteranceIn(role="assistant", text="Alfama.")]
    call(utterances_append, user=owner, session_id=session.pk, utterances=turns)
    call(utterance_regenerate_prepare, user=owner, session_id=session.pk, seq=2)
    call(
        utterances_append, user=owner, session_id=session.pk, utterances=[UtteranceIn(role="assistant", text="Belém.")]
    )
    return session


def test_the_sign_in_pages_fit_a_phone(live_url, page: Page):
    page.set_viewport_size(PHONE)
    for name, path in (("login", "/accounts/login/"), ("signup", "/accounts/signup/")):
        page.goto(f"{live_url}{path}")
        fits(page, name)


def test_the_trash_archived_and_devices_tables_become_cards_on_a_phone(live_url, signed_in: Page, owner):
    archived = call(session_create, user=owner, title=LONG_TITLE)
    call(session_update, user=owner, session_id=archived.pk, archived=True)
    trashed = call(session_create, user=owner, title=TRASHED_TITLE)
    call(session_trash, user=owner, session_id=trashed.pk)
    account_services.device_token_create(user=owner, name=TOKEN_NAME)
    page = signed_in
    page.set_viewport_size(PHONE)

    for name, path, action in (
        ("trash", "/trash/", "Restore"),
        ("archived", "/archived/", "Unarchive"),
        ("devices", "/accounts/tokens/", "Revoke"),
    ):
        page.goto(f"{live_url}{path}")
        row = page.locator("table.stack tbody tr").first
        # A card: each cell led by its column's name, the table still a table to a screen reader.
        label = row.locator("td").first.evaluate("(td) => getComputedStyle(td, '::before').content")
        assert label not in ("none", "normal"), label
        # Still a table to a screen reader, each cell heard once: its column's name comes from the
        # header, not again from the ::before.
        heard = cells_heard(page)
        assert len(heard["table"]) == 1, heard
        assert len(heard["row"]) == 2, heard  # the header's and the card's
        assert len(heard["columnheader"]) == len(heard["cell"]), heard
        assert heard["cell"][0] in (LONG_TITLE, TRASHED_TITLE, TOKEN_NAME), heard
        # Revoke is a <summary> that asks first (tests/e2e/test_account_pages.py).
        button = row.locator("summary") if action == "Revoke" else row.get_by_role("button", name=action)
        box = button.bounding_box()
        assert box["x"] >= 0, (name, box)
        assert box["x"] + box["width"] <= PHONE["width"], (name, box)
        assert min(box["height"], box["width"]) >= 24, (name, box)
        fits(page, name)
    expect(page.get_by_role("cell", name="never")).to_be_visible()  # the token never used yet


def test_the_chat_page_keeps_its_title_banner_and_message_box_readable_on_a_phone(
    live_url, signed_in: Page, owner, settings
):
    session = chat_with_alternatives(owner, LONG_TITLE)
    page = signed_in
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/c/{session.pk}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")
    # This server has a model: the banner is the one the page shows without one, put in its place.
    offline = Client()
    offline.force_login(owner)
    settings.ASSISTANT_BASE_URL = ""
    html = offline.get(f"/c/{session.pk}/").content.decode()
    banner = re.search(r'<div class="banner".*?</div>', html, re.S).group(0)
    page.evaluate("(html) => document.querySelector('.chat-main').insertAdjacentHTML('afterbegin', html)", banner)

    shown = page.locator("[data-testid=offline-banner]")
    expect(shown).to_contain_text("offline development backend")
    assert size_of(shown)["h"] <= 60
    shown.locator("summary").click()
    expect(shown).to_contain_text("ASSISTANT_BASE_URL")

    # One header row: the Chats and Chat actions buttons icon-sized (still named by their words),
    # the title the rest: well over 20 of its characters shown.
    title = page.locator("#chat-title")
    chars = title.evaluate("(h) => h.textContent.length * h.clientWidth / h.scrollWidth")
    assert chars >= 24, chars
    assert size_of(page.locator(".chat-header"))["h"] < 80
    for name in ("Chats", "Chat actions"):
        assert min(size_of(page.get_by_role("button", name=name, exact=True)).values()) >= 36

    message_box = page.locator("#input")
    assert message_box.evaluate("(box) => box.scrollWidth <= box.clientWidth")
    placeholder = message_box.get_attribute("placeholder")
    assert message_box.evaluate(
        "(box, text) => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(box).font; return c.measureText(text).width < box.clientWidth - 20; }",
        placeholder,
    ), placeholder
    expect(message_box).to_have_accessible_description("Enter sends, Shift+Enter for a new line")

    for tool in page.locator(".message-tools .tool").all():
        size = size_of(tool)
        assert min(size["w"], size["h"]) >= 24, (tool.inner_text(), size)
    previous = page.get_by_role("button", name="Previous alternative")
    assert min(size_of(previous).values()) >= 32
    assert float(previous.evaluate("(b) => parseFloat(getComputedStyle(b).fontSize)")) >= 16
    fits(page, "chat")

    # With reduced motion asked for, the drawer opens without sliding.
    page.emulate_media(reduced_motion="reduce")
    assert page.locator("#sidebar").evaluate("(s) => getComputedStyle(s).transitionDuration") == "0s"
    page.get_by_role("button", name="Chats", exact=True).click()
    for link in page.locator(".sidebar-bottom a").all():
        box = link.bounding_box()
        assert box["height"] >= 24, box
        assert box["x"] >= 8, box


def test_the_account_password_and_new_chat_pages_and_the_import_report_fit_a_phone(live_url, signed_in: Page, owner):
    job = ConversationImport.objects.create(
        user=owner,
        status="done",
        file_name="conversations.json",
        conversations_total=2,
        conversations_done=2,
        imported=1,
        failed=1,
        finished_at=timezone.now(),
    )
    ConversationImportRow.objects.create(
        conversation_import=job, position=1, title="Lisbon", result="imported", utterances=4
    )
    ConversationImportRow.objects.create(
        conversation_import=job,
        position=2,
        title="Broken one",
        result="failed",
        error="Its messages' parents form a loop.",
    )
    page = signed_in
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/accounts/")

    expect(page.locator("#import-status")).to_have_text(
        "Imported conversations.json: 1 chat brought in, 1 chat failed."
    )
    report = page.locator("table.import-report")
    expect(report.locator("tbody tr")).to_have_count(2)
    # No word is broken, as a card on a phone or in the table at 1280 px: each word fits its cell.
    unbroken = """(table) => [...table.querySelectorAll("th, td")].filter((cell) => {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const word of node.textContent.matchAll(/\\S+/g)) {
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          if (range.getClientRects().length > 1) return true;  // a word over two lines
        }
      }
      return false;
    }).map((cell) => cell.textContent)"""
    assert report.evaluate(unbroken) == []
    assert report.locator("td").nth(1).get_attribute("data-label") == "Result"
    file_button = page.locator("#import-file").evaluate(
        "(input) => getComputedStyle(input, '::file-selector-button').borderRadius"
    )
    assert file_button == "8px"
    fits(page, "account")
    for name, path in (("password", "/accounts/password/"), ("new-chat", "/")):
        page.goto(f"{live_url}{path}")
        fits(page, name)
    page.goto(f"{live_url}/accounts/")
    expect(report.locator("tbody tr")).to_have_count(2)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert report.evaluate(unbroken) == []


def test_a_new_token_can_be_copied_and_the_page_says_so(live_url, signed_in: Page, context):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    page = signed_in
    page.goto(f"{live_url}/accounts/tokens/")
    page.get_by_label("Name").fill("Voice agent")
    page.get_by_role("button", name="Create token").click()
    key = page.get_by_test_id("new-token").inner_text()

    page.get_by_role("button", name="Copy").click()

    expect(page.locator(".copy-status")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == key


def test_the_pages_scripts_word_sizes_and_counts_as_the_server_does(live_url, page: Page):
    page.goto(f"{live_url}/accounts/login/")
    words = "(async () => import('/static/js/words.js'))()"
    sizes = [0, 999, 1000, 2500, 12_345, 999_499, 999_500, 1_250_000, 2_250_000, 2_540_000, 120_400_000, 1_250_000_000]
    said = page.evaluate(f"async (sizes) => {{ const w = await {words}; return sizes.map(w.humanSize); }}", sizes)
    assert said == [human_size(size) for size in sizes]

    text = "{done:chat:chats}, {utterances:message:messages} from {file}{missing}"
    for values in ({"done": 1, "utterances": 0, "file": "a.zip"}, {"done": 2, "utterances": 1, "file": "b"}):
        filled = page.evaluate(f"async ([t, v]) => (await {words}).fill(t, v)", [text, values])
        assert filled == fill(text, values)
    parts = IMPORT_TEXTS["parts"]
    counts = {"imported": 1, "present": 0, "failed": 2, "skipped": 0}
    summary = page.evaluate(f"async ([p, v]) => (await {words}).countsSaid(p, v)", [parts, counts])
    assert summary == "1 chat brought in, 2 chats failed"

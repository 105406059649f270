"""axe-core on every page and dialog state, at 1280 and 375 px, and no page scrolling sideways at 375 px.

Each test walks one page through its states and checks each one, then fails with every finding of
the walk at once (not only the first). Moderate and minor findings go to test-artifacts/axe-moderate.jsonl.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from tests.e2e import axe as axe_module
from tests.e2e.test_chat_page import call, chat_action
from tests.factories import DEFAULT_PASSWORD
from tests.imports import samples

pytestmark = pytest.mark.django_db(transaction=True)

NARROW = 375

# Known failures in files other changes of issue 31 own (the chat page's template and scripts, the
# style sheet): each mark goes when its change is merged (strict: a passing case fails the run).
GROUP_HEADINGS_IN_LIST = (
    "axe list (serious) on #sessions: the recency group headings are <li role=presentation> in the "
    "<ul> (templates/conversation/_sidebar_items.html, static/js/chat/sidebar.js)"
)
MENU_COVERS_A_MESSAGE_TOOL = (
    "axe target-size (serious) with Chat actions open at 375 px: .user > .message-tools > "
    ".tool[data-action=fork] partly covered by #actions-menu (9.8 x 25.1 px left, 15.6 px spacing)"
)


def widths(**xfail):
    """Parametrize `width` over 1280 and 375 px; `at_375="why"` marks that width as a known failure
    (strict: the mark must go once the failure is fixed)."""
    params = []
    for width in (1280, NARROW):
        reason = xfail.get(f"at_{width}")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(width, id=f"{width}px", marks=marks))
    return pytest.mark.parametrize("width", params)


class Walk:
    """The checks of one page's states; `done()` fails with all that failed."""

    def __init__(self, page: Page, width: int, axe, assert_no_sideways_scroll) -> None:
        self.page = page
        self.width = width
        self.axe = axe
        self.sideways = assert_no_sideways_scroll
        self.failures: list[str] = []
        page.set_viewport_size({"width": width, "height": 800})

    def check(self, label: str) -> None:
        checks = [self.axe]
        if self.width == NARROW:
            checks.append(self.sideways)
        for check in checks:
            try:
                check(self.page, label=label)
            except AssertionError as failure:
                self.failures.append(str(failure))

    def done(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)


@pytest.fixture
def walk(page, width, axe, assert_no_sideways_scroll):
    return Walk(page, width, axe, assert_no_sideways_scroll)


@pytest.fixture
def signed_in(live_url, page: Page, owner) -> Page:
    """The page with the owner's session cookie (the log-in form has tests of its own): quicker."""
    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_url}])
    return page


def url(live_url: str, name: str, *args) -> str:
    return live_url + reverse(name, args=args)


def ready(page: Page) -> Page:
    page.wait_for_selector("html[data-ready=true]", state="attached")
    return page


def chat_with_turns(owner, title: str, *texts: str) -> Session:
    session = call(session_create, user=owner, title=title)
    turns = [UtteranceIn(role=("user", "assistant")[n % 2], text=text) for n, text in enumerate(texts)]
    call(utterances_append, user=owner, session_id=session.pk, utterances=turns)
    return session


def test_the_axe_check_reports_a_violation_with_its_rule_and_element(live_url, page: Page, axe):
    page.goto(url(live_url, "accounts:login"))
    axe(page, label="login")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<button id=nameless></button>')")
    with pytest.raises(AssertionError, match=r"button-name \(critical\)[^\n]*\n\s+#nameless"):
        axe(page, label="login with a nameless button")
    page.evaluate("document.getElementById('nameless').remove()")
    page.get_by_label("E-mail address").evaluate("field => field.setAttribute('aria-describedby', 'nowhere')")
    with pytest.raises(AssertionError, match=r"aria-valid-attr-value \(critical, needs review\)"):
        axe(page, label="login with a help text that is not there")


def test_the_axe_check_fails_when_axe_core_is_not_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(axe_module, "AXE_SOURCE", tmp_path / "axe.min.js")
    axe_module.axe_source.cache_clear()
    try:
        with pytest.raises(pytest.fail.Exception, match="npm ci"):
            axe_module.axe_source()
    finally:
        axe_module.axe_source.cache_clear()


@widths()
def test_the_log_in_and_sign_up_pages_pass_axe_and_fit_a_phone(live_url, walk: Walk, owner):
    page = walk.page
    page.goto(url(live_url, "accounts:login"))
    walk.check("log in")
    page.get_by_label("E-mail address").fill(owner.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_be_visible()
    walk.check("log in, wrong password")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    walk.check("sign up")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".field-errors").first).to_be_visible()
    walk.check("sign up, empty form sent")
    walk.done()


@widths()
def test_a_new_chat_and_the_phone_drawer_pass_axe_and_fit_a_phone(live_url, signed_in: Page, walk: Walk):
    page = signed_in
    page.goto(url(live_url, "home"))
    ready(page)
    expect(page.locator("#empty-state")).to_be_visible()
    walk.check("new chat")
    if walk.width == NARROW:
        page.get_by_role("button", name="Chats", exact=True).click()
        expect(page.get_by_role("button", name="Close chats")).to_be_visible()
        walk.check("new chat, drawer open")
    walk.done()


@widths()
def test_a_chat_with_messages_and_one_being_edited_pass_axe_and_fit_a_phone(
    live_url, signed_in: Page, walk: Walk, owner
):
    session = chat_with_turns(
        owner,
        "Trip to Lisbon",
        "Which museums in Lisbon?",
        "The **Gulbenkian**, the tile museum and MAAT:\n\n- Gulbenkian\n- Azulejo\n\n`open 10-18`",
        "And on Mondays?",
        "Most close on Mondays.",
    )
    page = signed_in
    page.goto(url(live_url, "chat", session.pk))
    ready(page)
    expect(page.locator("#message-list li.message")).to_have_count(4)
    walk.check("chat with messages")
    question = page.locator("#message-list li.message.user").last
    question.get_by_role("button", name="Edit").click()
    expect(question.get_by_role("textbox")).to_be_focused()
    walk.check("chat, a message being edited")
    walk.done()


@widths()
def test_the_sidebar_groups_search_and_each_chat_action_pass_axe_and_fit_a_phone(
    live_url, signed_in: Page, walk: Walk, owner
):
    now = timezone.now()
    for title, days in [("Today's plan", 0), ("Yesterday's notes", 1), ("Garden ideas", 4), ("Old recipes", 20)]:
        session = call(session_create, user=owner, title=title)
        Session.objects.filter(pk=session.pk).update(last_activity_at=now - timedelta(days=days))
    current = chat_with_turns(owner, "Sourdough starter", "How often do I feed it?", "Once a day.")
    call(session_update, user=owner, session_id=current.pk, pinned=True)
    page = signed_in
    page.goto(url(live_url, "chat", current.pk))
    ready(page)
    expect(page.locator("#pinned")).to_contain_text("Sourdough starter")
    expect(page.locator("#sessions .group-heading")).to_have_count(4)
    walk.check("chat, pinned chat and four recency groups in the sidebar")

    if walk.width == NARROW:
        page.get_by_role("button", name="Chats", exact=True).click()
        expect(page.get_by_role("button", name="Close chats")).to_be_visible()
        walk.check("chat, drawer open with pinned and grouped chats")
    page.get_by_label("Search chats").fill("feed")
    expect(page.locator("#search-list li")).to_have_count(1)
    walk.check("search results")
    page.get_by_label("Search chats").fill("")
    if walk.width == NARROW:
        page.get_by_role("button", name="Close chats").click()

    page.get_by_role("button", name="Chat actions").click()
    expect(page.locator("#actions-menu")).to_be_visible()
    walk.check("Chat actions menu open")
    page.locator("#actions-menu").get_by_role("button", name="Rename").click()
    expect(page.get_by_label("Chat title")).to_be_focused()
    walk.check("renaming the chat")
    page.get_by_label("Chat title").press("Escape")

    chat_action(page, "Clear")
    expect(page.locator("#confirm")).to_be_visible()
    walk.check("confirm dialog (Clear)")
    page.locator("#confirm").get_by_role("button", name="Cancel").click()
    expect(page.locator("#confirm")).to_be_hidden()

    chat_action(page, "Delete")
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    walk.check("the toast after Delete")
    walk.done()


@widths()
def test_the_archived_and_trash_pages_pass_axe_and_fit_a_phone(live_url, signed_in: Page, walk: Walk, owner):
    long_title = "A chat about the long-forgotten summer holidays of 2019 in Brittany"
    for title in ("Tax 2025", long_title):
        session = chat_with_turns(owner, title, "Hello", "Hi!")
        call(session_update, user=owner, session_id=session.pk, archived=True)
    for title in ("Doomed", long_title):
        session = chat_with_turns(owner, title, "Hello", "Hi!")
        call(session_trash, user=owner, session_id=session.pk)
    page = signed_in
    page.goto(url(live_url, "archived"))
    expect(page.get_by_test_id("archived").get_by_role("row")).to_have_count(3)
    walk.check("archived page")

    page.goto(url(live_url, "trash"))
    trash = page.get_by_test_id("trash")
    expect(trash.get_by_role("row")).to_have_count(3)
    walk.check("trash page")
    trash.get_by_role("row").filter(has_text="Doomed").get_by_text("Delete forever").click()
    expect(trash.get_by_role("button", name=re.compile("Yes, delete"))).to_be_visible()
    page.get_by_text("Empty trash").click()
    expect(page.get_by_role("button", name="Yes, empty the trash")).to_be_visible()
    walk.check("trash page, Delete forever and Empty trash opened")
    walk.done()


@widths()
def test_the_devices_page_and_a_new_token_pass_axe_and_fit_a_phone(live_url, signed_in: Page, walk: Walk):
    page = signed_in
    page.goto(url(live_url, "accounts:device_tokens"))
    expect(page.get_by_role("heading", name="Devices and API tokens")).to_be_visible()
    walk.check("devices page, no token")
    page.get_by_label("Name", exact=True).fill("Kitchen speaker")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_test_id("new-token")).to_be_visible()
    walk.check("devices page, a new token shown")
    page.goto(page.url)  # a GET: the token list without the new key
    expect(page.get_by_test_id("tokens").get_by_role("row")).to_have_count(2)
    walk.check("devices page with a token")
    walk.done()


@widths()
def test_the_account_page_with_an_import_report_passes_axe_and_fits_a_phone(
    live_url, signed_in: Page, walk: Walk, job_worker
):
    page = signed_in
    page.goto(url(live_url, "accounts:account"))
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    walk.check("account page")
    broken = samples.chatgpt_linear("looped", title="Broken one")
    broken["mapping"]["root"]["parent"] = "m3"
    conversations = [samples.chatgpt_trip(), broken, samples.chatgpt_linear("c1", title="Chat 1")]
    page.get_by_label("Export file").set_input_files(
        {"name": "chatgpt-export.zip", "mimeType": "application/zip", "buffer": samples.chatgpt_zip(conversations)}
    )
    page.get_by_role("button", name="Import chats").click()
    expect(page.locator("#import-report").get_by_role("row")).to_have_count(4, timeout=20000)
    expect(page.locator("#import-progress")).to_be_hidden()
    page.get_by_text("Delete my account", exact=True).click()
    expect(page.get_by_label("Your password")).to_be_visible()
    walk.check("account page, import report and the account deletion opened")
    page.get_by_role("button", name="Delete my account and all its data").click()
    expect(page.get_by_label("Your password")).to_be_visible()
    walk.check("account page, account deletion refused (no password)")
    walk.done()


@widths()
def test_the_password_pages_pass_axe_and_fit_a_phone(live_url, signed_in: Page, walk: Walk):
    page = signed_in
    page.goto(url(live_url, "accounts:password_change"))
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()
    walk.check("password change")
    page.get_by_label("Old password").fill("not my password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".field-errors").first).to_be_visible()
    walk.check("password change, refused")
    page.get_by_label("Old password").fill(DEFAULT_PASSWORD)
    page.get_by_label("New password", exact=True).fill("a much longer passphrase 42")
    page.get_by_label("New password confirmation").fill("a much longer passphrase 42")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    walk.check("password changed")
    walk.done()

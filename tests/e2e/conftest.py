"""Browser tests: Playwright drives Debian's Chromium against a real Daphne serving the test database."""

import importlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e import axe as axe_module
from tests.e2e.keyboard import COUNT_POINTER_EVENTS, ready, tab_to
from tests.servers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls
    # (and the database flush after each test) are plain sync code. Browser tests run last.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Never download a browser: Debian's chromium, with the flags this closed network needs.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session", autouse=True)
def _fresh_axe_report():
    """The moderate and minor axe-core findings of this run only."""
    axe_module.REPORT.unlink(missing_ok=True)


@pytest.fixture
def axe(request) -> axe_module.AxeCheck:
    """`axe(page)` runs axe-core (WCAG 2.x A and AA, best practices) on the page as it is now and
    fails the test on any serious or critical violation; `axe(page, context="#sidebar")` checks a part."""
    axe_module.axe_source()  # fails at once, never skips, when axe-core is not installed
    return axe_module.AxeCheck(request.node.nodeid)


@pytest.fixture
def assert_no_sideways_scroll():
    """`assert_no_sideways_scroll(page)`: the page is no wider than its viewport."""
    return axe_module.assert_no_sideways_scroll


@pytest.fixture
def signed_in(live_url, page, owner):
    """The page, signed in as the owner through the real login form."""
    from tests.factories import DEFAULT_PASSWORD

    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("E-mail address").fill(owner.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_url}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")  # the page's scripts have wired it
    return page


@pytest.fixture(autouse=True)
def _seeded_personas(transactional_db):
    """Browser tests flush the database after each test, and serialized rollback cannot restore it
    here (Playwright's greenlets give Django another connection object): seed the personas again."""
    from django.apps import apps

    seed_migration = importlib.import_module("conversation.migrations.0002_seed_personas")
    seed_migration.seed(apps, None)


@pytest.fixture
def keyboard(live_url, page: Page, owner):
    """The page signed in through the login form by keyboard; no pointer event by the end."""
    from tests.factories import DEFAULT_PASSWORD

    page.add_init_script(COUNT_POINTER_EVENTS)
    page.goto(f"{live_url}/accounts/login/")
    tab_to(page, page.get_by_label("E-mail address"))
    page.keyboard.type(owner.email)
    tab_to(page, page.get_by_label("Password"))
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/")
    ready(page)
    yield page
    assert page.evaluate("sessionStorage.getItem('pointer-events')") is None

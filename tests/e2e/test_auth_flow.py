import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User

PASSWORD = "a-long enough pass phrase 42"

# Daphne serves from its own connections: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_newcomer_signs_up_logs_out_and_logs_in_again(live_url: str, page: Page, artifacts_dir):
    page.goto(f"{live_url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail address").fill("browser@example.com")
    page.get_by_label("Display name").fill("Bea Browser")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_test_id("user-name")).to_have_text("Bea Browser")
    expect(page.get_by_role("heading", name="New chat", exact=True)).to_be_visible()
    assert User.objects.filter(email="browser@example.com").exists()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))

    page.get_by_label("E-mail address").fill("browser@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("user-name")).to_be_visible()
    expect(page).to_have_url(f"{live_url}/")
    page.screenshot(path=str(artifacts_dir / "home-1280.png"), full_page=True)


def test_a_wrong_password_shows_an_error_on_the_page(live_url: str, page: Page):
    User.objects.create_user(email="known@example.com", password=PASSWORD)
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("E-mail address").fill("known@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct e-mail address and password")

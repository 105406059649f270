"""The page follows the tree: a head moved elsewhere (another tab, a program) shows the branch now active."""

import pytest
from playwright.sync_api import Page, expect

from conversation import services
from conversation.inputs import UtteranceIn
from tests.e2e.test_chat_page import call

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_switch_made_elsewhere_shows_the_other_branch_without_a_reload(live_url, signed_in: Page, owner):
    session = call(services.session_create, user=owner, title="Branchy")
    for role, text in (("user", "Q1"), ("assistant", "A1"), ("user", "Q2"), ("assistant", "A2 first")):
        call(
            services.utterances_append,
            user=owner,
            session_id=session.pk,
            utterances=[UtteranceIn(role=role, text=text)],
        )
    page = signed_in
    page.goto(f"{live_url}/c/{session.pk}/")
    page.wait_for_selector("html[data-live=true]", state="attached")  # its socket is open
    expect(page.locator("#message-list")).to_contain_text("A2 first")

    call(services.utterance_regenerate_prepare, user=owner, session_id=session.pk, seq=4)
    call(
        services.utterances_append,
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="assistant", text="A2 second")],
    )
    expect(page.locator("#message-list")).to_contain_text("A2 second")
    expect(page.locator("#message-list")).not_to_contain_text("A2 first")

    call(services.session_switch, user=owner, session_id=session.pk, seq=4)
    expect(page.locator("#message-list")).to_contain_text("A2 first")
    expect(page.locator("#message-list")).not_to_contain_text("A2 second")

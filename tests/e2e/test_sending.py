"""Nothing typed is lost: the box keeps a message until the server has accepted it."""

import re
import threading
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from accounts.services import device_token_create
from conversation.models import Session, Utterance

pytestmark = pytest.mark.django_db(transaction=True)


def message_box(page: Page):
    return page.get_by_label("Message", exact=True)


def test_a_send_refused_by_the_server_keeps_the_text_with_the_reason(live_url, signed_in: Page, owner):
    page = signed_in
    message_box(page).fill("hello")
    message_box(page).press("Enter")
    expect(page.locator("#message-list li.message.assistant")).to_have_count(1, timeout=15000)
    session_id = re.search(r"/c/([0-9a-f-]{36})/", page.url).group(1)

    # A program answers in the same session through the API, slowly.
    token = device_token_create(user=owner, name="program")[1]
    program = threading.Thread(
        target=httpx.post,
        args=(f"{live_url}/api/sessions/{session_id}/reply/",),
        kwargs={
            "json": {"text": "[slow] a b c d e f g h", "client_id": "program-1"},
            "headers": {"Authorization": f"Token {token}", "Accept": "application/json"},
            "timeout": 30,
        },
    )
    program.start()
    deadline = time.monotonic() + 10
    while not Utterance.objects.filter(client_id="program-1").exists() and time.monotonic() < deadline:
        time.sleep(0.05)

    message_box(page).fill("my careful words")
    message_box(page).press("Enter")
    expect(page.locator("#chat-error")).to_contain_text("still being written")
    expect(message_box(page)).to_have_value("my careful words")
    expect(message_box(page)).to_be_editable()
    expect(page.locator("#message-list li.pending")).to_have_count(0)
    program.join()
    assert not Utterance.objects.filter(text="my careful words").exists()


def test_a_message_not_yet_accepted_survives_a_reload_and_is_stored_once(live_url, signed_in: Page, owner):
    page = signed_in
    # The server never hears this page: its socket opens to nowhere.
    page.route_web_socket(re.compile(r"/ws/chat/"), lambda socket: None)
    page.reload()
    message_box(page).fill("words typed on a train")
    message_box(page).press("Enter")
    expect(page.locator("#message-list li.pending")).to_contain_text("words typed on a train")
    expect(message_box(page)).to_have_value("words typed on a train")
    assert not Session.objects.filter(user=owner).exists()

    # A reload, with the connection back: the message goes out by itself, once.
    again = page.context.new_page()
    page.close()
    again.goto(f"{live_url}/")
    expect(again.locator("#message-list li.message.assistant")).to_contain_text(
        "Echo: words typed on a train", timeout=15000
    )
    expect(message_box(again)).to_have_value("")
    again.reload()
    expect(again.locator("#message-list li.message.user")).to_have_count(1)
    assert list(Utterance.objects.filter(session__user=owner).order_by("seq").values_list("role", "text")) == [
        ("user", "words typed on a train"),
        ("assistant", "Echo: words typed on a train"),
    ]

"""Revocation reaches open sockets: they close with 4401 (the page then goes to log in)."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from account_data import services as account_data_services
from accounts import services
from accounts.models import DeviceToken
from chatproject.asgi import application
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers import socket_headers, socket_open

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


@db_call
def logged_in_browser(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


async def browser_socket(browser: Client) -> WebsocketCommunicator:
    return await socket_open(socket_headers(cookie=browser.cookies["sessionid"].value))


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def still_open(communicator: WebsocketCommunicator) -> bool:
    # A socket that was not closed answers an open of a session that is not there.
    await communicator.send_json_to({"type": "open", "session_id": "00000000-0000-0000-0000-000000000000"})
    output = await communicator.receive_output(timeout=5)
    await communicator.disconnect()
    return output["type"] == "websocket.send"


async def test_logging_out_closes_that_browsers_sockets_only(owner):
    leaving, staying = await logged_in_browser(owner), await logged_in_browser(owner)
    leaving_socket, staying_socket = await browser_socket(leaving), await browser_socket(staying)
    await db_call(leaving.post)("/accounts/logout/")
    assert await closed_with(leaving_socket) == 4401
    assert await still_open(staying_socket)


async def test_a_password_change_closes_every_socket_and_the_changing_browser_reconnects(owner):
    changing, elsewhere = await logged_in_browser(owner), await logged_in_browser(owner)
    changing_socket, elsewhere_socket = await browser_socket(changing), await browser_socket(elsewhere)
    response = await db_call(changing.post)(
        "/accounts/password/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "fresh long pass 42",
            "new_password2": "fresh long pass 42",
        },
    )
    assert response.status_code == 302
    assert await closed_with(elsewhere_socket) == 4401
    # Django gives the changing browser a new session key: its old sockets close too, and the page
    # connects again at once with the new cookie (the log-in page sends a logged-in browser back).
    assert await closed_with(changing_socket) == 4401
    assert await still_open(await browser_socket(changing))
    stale = WebsocketCommunicator(
        application, "/ws/chat/", headers=socket_headers(cookie=elsewhere.cookies["sessionid"].value)
    )
    assert await stale.connect() == (False, 4401)


async def test_revoking_a_device_token_closes_the_sockets_that_use_it(owner):
    phone_token = await db_call(services.device_token_create)(user=owner, name="phone")
    agent_token = await db_call(services.device_token_create)(user=owner, name="agent")
    phone_socket = await socket_open(socket_headers(token=phone_token[1]))
    agent_socket = await socket_open(socket_headers(token=agent_token[1]))
    await db_call(services.device_token_revoke)(user=owner, public_id=phone_token[0].public_id)
    assert await closed_with(phone_socket) == 4401
    assert await still_open(agent_socket)


async def test_a_revoked_or_wrong_token_cannot_open_a_socket(owner):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=socket_headers(token="nope"))
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4401)


async def test_deactivating_a_user_in_the_admin_closes_their_sockets(owner):
    staff = await db_call(UserFactory)(email="staff@example.com", is_staff=True, is_superuser=True)
    socket = await browser_socket(await logged_in_browser(owner))
    admin = await logged_in_browser(staff)
    change = await db_call(admin.post)(
        f"/admin/accounts/user/{owner.pk}/change/",
        {
            "email": owner.email,
            "display_name": owner.display_name,
            "is_active": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert change.status_code == 302, change.content.decode()[:3000]
    assert await closed_with(socket) == 4401


async def test_a_token_change_by_api_closes_sockets_too(owner):
    _, key = await db_call(services.device_token_create)(user=owner, name="agent")
    socket = await socket_open(socket_headers(token=key))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert (await db_call(client.delete)("/api/auth/token/")).status_code == 204
    assert await closed_with(socket) == 4401


async def test_a_password_set_in_the_admin_closes_the_users_sockets(owner):
    staff = await db_call(UserFactory)(email="staff@example.com", is_staff=True, is_superuser=True)
    socket = await browser_socket(await logged_in_browser(owner))
    admin = await logged_in_browser(staff)
    response = await db_call(admin.post)(
        f"/admin/accounts/user/{owner.pk}/password/",
        {"password1": "staff set pass 99", "password2": "staff set pass 99", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert await closed_with(socket) == 4401


async def test_deleting_a_user_closes_their_sockets(owner):
    socket = await browser_socket(await logged_in_browser(owner))
    await db_call(account_data_services.users_delete)(user_ids=[owner.pk])
    assert await closed_with(socket) == 4401


async def test_a_socket_closes_when_its_device_token_expires(owner):
    token, key = await db_call(services.device_token_create)(user=owner, name="phone")
    expires = timezone.now() + timedelta(seconds=1)
    await db_call(DeviceToken.objects.filter(pk=token.pk).update)(expiry=expires)
    socket = await socket_open(socket_headers(token=key))
    # No frame needed: the socket closes at the token's expiry, with the code a revocation gets.
    assert await closed_with(socket) == 4401
    assert timezone.now() >= expires


async def test_a_socket_whose_token_was_extended_stays_open_past_the_old_expiry(owner):
    token, key = await db_call(services.device_token_create)(user=owner, name="phone")
    await db_call(DeviceToken.objects.filter(pk=token.pk).update)(expiry=timezone.now() + timedelta(seconds=0.5))
    socket = await socket_open(socket_headers(token=key))
    await db_call(DeviceToken.objects.filter(pk=token.pk).update)(expiry=timezone.now() + timedelta(days=1))
    assert await socket.receive_nothing(timeout=1.5)  # the re-check at the old expiry finds it good
    assert await still_open(socket)


@pytest.mark.parametrize("key", ["a\x00b" * 10, "\x00", "é" * 64, "x" * 5000])
async def test_a_handshake_with_a_malformed_token_is_refused_as_anonymous(db, key):
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    headers.append((b"authorization", b"Token " + key.encode("latin-1", "replace")))
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    assert await communicator.connect() == (False, 4401)

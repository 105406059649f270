"""Device tokens on the chat socket: programs connect with `Authorization: Token <key>`."""

from channels.db import database_sync_to_async
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import DeviceTokenAuthentication


class DeviceTokenSocketMiddleware:
    """After Channels' session auth: a socket without a logged-in session but with a device token in
    its `Authorization` header is that token's user; `scope["device_token"]` names the token, so
    that revoking it closes the socket."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            key = _token_of(scope)
            if key is not None:
                authenticated = await database_sync_to_async(_authenticate)(key)
                if authenticated is not None:
                    scope = {**scope, "user": authenticated[0], "device_token": authenticated[1].public_id}
        return await self.inner(scope, receive, send)


def _token_of(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "token":
                return parts[1]
    return None


def _authenticate(key: str):
    try:
        return DeviceTokenAuthentication().authenticate_credentials(key.encode())
    except AuthenticationFailed:
        return None

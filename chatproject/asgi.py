"""ASGI entry point for Daphne: HTTP through Django, WebSocket through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.socket_auth import DeviceTokenSocketMiddleware  # noqa: E402
from chatproject.body_limit import AsgiBodyLimit  # noqa: E402
from conversation.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": AsgiBodyLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(DeviceTokenSocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)

"""WebSocket routes, mounted by chatproject/asgi.py."""

from django.urls import path

from conversation.consumers import ChatConsumer
from conversation.frames import SOCKET_PATH

websocket_urlpatterns = [
    path(SOCKET_PATH, ChatConsumer.as_asgi()),
]

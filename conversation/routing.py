"""WebSocket routes, mounted by chatproject/asgi.py."""

from django.urls import path

from conversation.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]

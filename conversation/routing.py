"""WebSocket routes, mounted by chatproject/asgi.py. The chat consumer joins here."""

websocket_urlpatterns: list = []

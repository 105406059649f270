"""The product's ASGI application plus a bare echo socket at ws/echo/, for bench/ws.py's baseline."""

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path

from chatproject.asgi import application as product


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


echo = URLRouter([path("ws/echo/", EchoConsumer.as_asgi())])


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == "/ws/echo/":
        return await echo(scope, receive, send)
    return await product(scope, receive, send)

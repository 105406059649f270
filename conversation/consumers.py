"""The chat socket, ``ws/chat/``: one per page, authenticated by the session cookie (or, for
programs, a device token in the handshake's ``Authorization: Token <key>`` header).

Client to server (JSON objects):
- ``{"type": "open", "session_id"}``: watch one of your sessions (leaves the one watched before).
- ``{"type": "send", "client_id", "text", "session_id"?, "persona"?}``: a message; without a
  session_id a new session is created (with the persona asked for) and announced.
- ``{"type": "edit", "seq", "client_id", "text", "session_id"?}``: edit your message ``seq`` (a
  new branch) and start the reply to the edit; ``{"type": "regenerate", "seq", "client_id",
  "session_id"?}``: another reply in place of the reply ``seq``. Both follow send's rules.
- ``{"type": "switch", "seq", "session_id"?}``: make the branch through ``seq`` the active one.
- ``{"type": "stop", "session_id"?}``: stop the reply in flight (the one watched by default).
(``session_id`` defaults to the session watched.)

Server to client: ``session.opened``, ``send.accepted``, ``switch.done``, ``utterance``, ``reply.start``,
``reply.delta`` (with its ``offset`` in the reply), ``reply.end``, ``session.created``,
``session.renamed``, ``session.activity``, ``session.head``, ``session.cleared``, ``session.deleted`` and ``error``
(``code``, ``message``). docs/websocket.md describes each one.
"""

import asyncio
import json
import logging
import math
import time
import uuid
from collections import deque
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.selectors import device_token_user_id, login_session_user_id, socket_credential_expiry
from chatproject import live
from conversation import budgets, events, frames, reply_tasks, socket_heartbeat
from conversation.branches.head import session_switch
from conversation.db_threads import db_async as db
from conversation.models import Session
from conversation.replies.claim import ReplyBudgetExceeded, ReplyBusy
from conversation.replies.progress import aprogress_get
from conversation.sessions.create import session_create_for_message
from conversation.sessions.lookup import session_get_for_user

logger = logging.getLogger(__name__)

# How long a socket whose credential re-check failed (the database away) waits to try again.
EXPIRY_RECHECK_RETRY_SECONDS = 5


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first closes stale database connections, in a hop to the one
        # thread that every thread-sensitive call of the process shares, for every message of every
        # socket: each reply delta, times each tab watching. This consumer holds no connection on
        # its own thread: its ORM work runs through db_async, which cleans up around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Every way out: a close, an exception anywhere, the server cancelling the socket.
            await self.release()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.device_token = self.scope.get("device_token")
        self.session_key = None if self.device_token else self.scope["session"].session_key
        self.watching: uuid.UUID | None = None
        self.recent: deque[float] = deque()
        self.closing = False
        self.credential_expires = None
        # Shielded, and kept: cancelled while it runs, release() still learns whether it stored a lease.
        self.lease = asyncio.ensure_future(
            db(budgets.socket_lease_acquire)(
                user_id=user.pk, channel_name=self.channel_name, process=socket_heartbeat.process_id()
            )
        )
        if not await asyncio.shield(self.lease):
            # Accepted, then closed, so that the page sees the code and the reason.
            await self.accept()
            limit = settings.MAX_SOCKETS_PER_USER
            await self.error("too_many_sockets", f"You have {limit} chat tabs or programs connected: close one.")
            self.closing = True
            await self.close(code=4429)
            return
        socket_heartbeat.socket_opened(self.channel_name)
        self.credential_expires = await db(socket_credential_expiry)(
            public_id=self.device_token, session_key=self.session_key
        )
        self.expiry_watch = asyncio.create_task(self.watch_expiry())
        await self.channel_layer.group_add(live.user_group(user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "lease", None) is None:
            return
        await self.release()
        await self.channel_layer.group_discard(live.user_group(self.user.pk), self.channel_name)
        if self.watching is not None:
            await self.channel_layer.group_discard(events.session_group(self.watching), self.channel_name)

    async def release(self) -> None:
        """Give the socket's lease back, once, whichever way the socket ends."""
        lease, self.lease = getattr(self, "lease", None), None
        if lease is None:
            return
        watch = getattr(self, "expiry_watch", None)
        if watch is not None:
            watch.cancel()
        try:
            if await lease:
                await db(budgets.socket_lease_release)(channel_name=self.channel_name)
        except Exception:
            # The database away: the heartbeat deletes it once it is back, instead of renewing it.
            logger.warning("socket lease %s not released; left to the heartbeat", self.channel_name, exc_info=True)
            socket_heartbeat.release_later(self.channel_name)
        finally:
            socket_heartbeat.socket_closed(self.channel_name)

    async def auth_recheck(self) -> bool:
        """A log-out, password change, token revocation, deactivation or deletion of this account, or
        its credential's expiry: close with 4401 if this socket's log-in session or device token no
        longer authenticates it (the page then goes to log in). True while it still does."""
        if self.device_token is not None:
            still = await db(device_token_user_id)(public_id=self.device_token)
        else:
            still = await db(login_session_user_id)(session_key=self.session_key)
        if still != self.user.pk:
            self.closing = True
            await self.close(code=4401)
            return False
        return True

    def credential_expired(self) -> bool:
        return self.credential_expires is not None and timezone.now() >= self.credential_expires

    async def expiry_recheck(self) -> bool:
        """Past the credential's expiry: re-checked, and its expiry read again (a log-in that was
        extended meanwhile keeps the socket open). False once the socket is closed."""
        try:
            if not await self.auth_recheck():
                return False
            self.credential_expires = await db(socket_credential_expiry)(
                public_id=self.device_token, session_key=self.session_key
            )
        except Exception:
            # The database away: looked at again at the next frame, or by the watch in a while.
            logger.warning("chat socket credential re-check failed", exc_info=True)
        return True

    async def watch_expiry(self) -> None:
        """Close the socket when its credential expires, with no frame needed to notice."""
        while self.credential_expires is not None:
            wait = (self.credential_expires - timezone.now()).total_seconds()
            # At most an hour at a time, so that a clock set by hand is followed.
            await asyncio.sleep(min(max(wait, 0), 3600))
            if self.credential_expired():
                if not await self.expiry_recheck():
                    return
                if self.credential_expired():  # the re-check failed: again in a while
                    await asyncio.sleep(EXPIRY_RECHECK_RETRY_SECONDS)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if text_data is None:
            await self.error("bad_message", "Send JSON text frames.")
            return
        if len(text_data) > settings.MAX_UTTERANCE_CHARS * 2 + 1024:
            await self.error(
                "too_large", f"A frame may hold at most {settings.MAX_UTTERANCE_CHARS} characters of text."
            )
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # not JSON, nested past Python's stack, digits past int's limit
            await self.error("bad_json", "That frame is not valid JSON.")
            return
        if self.closing or (self.credential_expired() and not await self.expiry_recheck()):
            return
        if self.rate_limited():
            limit = settings.WS_MAX_MESSAGES_PER_MINUTE
            ref = content.get("type") if isinstance(content, dict) else None
            await self.error(
                "rate_limited",
                f"Too many messages: at most {limit} a minute.",
                ref=ref if isinstance(ref, str) and ref in frames.TYPES else None,
                client_id=frames.client_id_echo(content),
            )
            return
        try:
            frame = frames.frame_check(content)
        except frames.FrameRefused as refused:
            await self.error(refused.code, refused.message, ref=refused.ref, client_id=refused.client_id)
            return
        handler = getattr(self, f"on_{frame.type}")
        try:
            await handler(frame)
        except Session.DoesNotExist:
            await self.error("not_found", "No such session.", ref=frame.type, client_id=frame.client_id)
        except ValidationError as exc:
            await self.error("invalid", " ".join(exc.messages), ref=frame.type, client_id=frame.client_id)
        except Exception:
            # The frame was checked; what failed is the server's (the database away, say): the
            # socket stays open, and the client may send the same frame again.
            logger.exception("chat socket frame %s failed", frame.type)
            await self.error(
                "server_error",
                "The server could not do that just now: try again.",
                ref=frame.type,
                client_id=frame.client_id,
            )

    def rate_limited(self) -> bool:
        now = time.monotonic()
        while self.recent and now - self.recent[0] > 60:
            self.recent.popleft()
        if len(self.recent) >= settings.WS_MAX_MESSAGES_PER_MINUTE:
            return True
        self.recent.append(now)
        return False

    async def error(self, code: str, message: str, *, ref: str | None = None, client_id: str | None = None) -> None:
        """An error event; `client_id` names the message a refused send carried."""
        await self.send_json(events.error(code=code, message=message, ref=ref, client_id=client_id))

    async def watch(self, session_id: uuid.UUID) -> None:
        if self.watching == session_id:
            return
        if self.watching is not None:
            await self.channel_layer.group_discard(events.session_group(self.watching), self.channel_name)
        self.watching = session_id
        await self.channel_layer.group_add(events.session_group(session_id), self.channel_name)

    async def on_open(self, frame: frames.Frame) -> None:
        session = await db(session_get_for_user)(user=self.user, session_id=frame.session_id)
        await self.watch(session.pk)
        # Joined first, then read: a delta that arrives meanwhile is in both, and the offsets dedupe it.
        progress = await aprogress_get(session.pk)
        await self.send_json(events.session_opened(session=session, reply_in_progress=progress))

    async def on_turn(self, frame: frames.Frame) -> None:
        """send, edit and regenerate: a message (for regenerate, none) and its reply, one path with
        the frame's variant (reply_tasks.reply_start's edit_seq, regenerate_seq). A send without a
        session creates one; edit and regenerate name theirs, or the one watched (session_id_of)."""
        client_id = frame.client_id or uuid.uuid4().hex
        session_id = frame.session_id if frame.type == "send" else self.session_id_of(frame)
        await self.turn_begin(
            ref=frame.type,
            client_id=client_id,
            target=lambda throttle: _send_target(
                user=self.user,
                throttle=throttle,
                session_id=session_id,
                client_id=client_id,
                persona=frame.persona,
            ),
            start=lambda session: reply_tasks.reply_start(
                user=self.user,
                session=session,
                client_id=client_id,
                text=frame.text,
                edit_seq=frame.seq if frame.type == "edit" else None,
                regenerate_seq=frame.seq if frame.type == "regenerate" else None,
            ),
        )

    on_send = on_edit = on_regenerate = on_turn

    def session_id_of(self, frame: frames.Frame) -> uuid.UUID:
        """The session a frame names, or the one watched; ValidationError when neither."""
        session_id = frame.session_id or self.watching
        if session_id is None:
            raise ValidationError("Name the session (session_id) or open it first.")
        return session_id

    async def turn_begin(self, *, ref: str, client_id: str, target, start) -> None:
        """A message and its reply (send, edit, regenerate), one rule for each: the replies-a-minute
        budget, the session watched, then `start`; answered by send.accepted once stored, or an
        error naming the client_id (busy, too many replies, rate limited)."""
        throttle = budgets.ReplyRateThrottle()
        session = await db(target)(throttle)
        if session is None:
            await self.error(
                "rate_limited",
                f"Too many messages: at most {throttle.num_requests} replies a minute. "
                f"Try again in {math.ceil(throttle.wait() or 1)} s.",
                ref=ref,
                client_id=client_id,
            )
            return
        await self.watch(session.pk)
        try:
            await start(session)
        except ReplyBusy:
            await self.error(
                "busy",
                "A reply is still being written in this session: wait for it to end, or stop it, then send.",
                ref=ref,
                client_id=client_id,
            )
            return
        except ReplyBudgetExceeded as exc:
            await self.error("too_many_replies", str(exc), ref=ref, client_id=client_id)
            return
        await self.send_json(events.send_accepted(ref=ref, client_id=client_id, session_id=session.pk))

    async def on_switch(self, frame: frames.Frame) -> None:
        try:
            session = await db(session_switch)(user=self.user, session_id=self.session_id_of(frame), seq=frame.seq)
        except ReplyBusy:
            await self.error(
                "busy", "A reply is still being written in this session: wait for it to end, or stop it.", ref="switch"
            )
            return
        await self.send_json(events.switch_done(session_id=session.pk, seq=frame.seq, head_seq=session.head_seq))

    async def on_stop(self, frame: frames.Frame) -> None:
        session_id = frame.session_id or self.watching
        if session_id is None:
            await self.error("invalid", "Nothing to stop: open a session first.", ref="stop")
            return
        session = await db(session_get_for_user)(user=self.user, session_id=session_id)
        await reply_tasks.reply_stop(session_id=session.pk)

    async def chat_event(self, message: dict) -> None:
        """A group event (see conversation/events.py), passed on to the browser as it is."""
        if message["event"]["type"] == "auth.recheck":
            if not self.closing and (self.device_token is not None or not message["event"]["tokens_only"]):
                await self.auth_recheck()
            return
        await self.send_json(message["event"])


def _send_target(
    *,
    user: User,
    throttle: budgets.ReplyRateThrottle,
    session_id: uuid.UUID | None,
    client_id: str,
    persona: str | None,
) -> Session | None:
    """The session a send goes to (created for a first message), or None past the user's replies
    a minute: both in one hop to a database thread."""
    if not throttle.allow_request(SimpleNamespace(user=user), None):
        return None
    if session_id:
        return session_get_for_user(user=user, session_id=session_id)
    return session_create_for_message(user=user, client_id=client_id, persona=persona)

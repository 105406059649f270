"""One heartbeat per process for the leases of its open chat sockets (budgets.socket_lease_acquire).

Every SOCKET_HEARTBEAT_SECONDS, while the process holds a socket open, one UPDATE pushes all of its
leases SOCKET_LEASE_SECONDS forward, however idle the sockets are. A process that dies stops beating,
so its leases stop counting against their users' MAX_SOCKETS_PER_USER within SOCKET_LEASE_SECONDS.
"""

import asyncio
import logging
import os
import socket
import uuid

from django.conf import settings
from django.utils import timezone

from conversation import budgets
from conversation.db_threads import db_async

logger = logging.getLogger(__name__)

_process: tuple[int, str] | None = None
# The open sockets of each event loop (a process has one; tests start many), and its beating task.
_open: dict[asyncio.AbstractEventLoop, set[str]] = {}
_beating: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
# Leases of closed sockets whose release failed: the next beat deletes them rather than renew them.
_unreleased: set[str] = set()


def process_id() -> str:
    """This process's name on the leases: its host, its pid and a random part (a pid is reused)."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}")
    return _process[1]


def socket_opened(channel_name: str) -> None:
    """A socket of this process holds a lease: the heartbeat runs while any does."""
    loop = asyncio.get_running_loop()
    _open.setdefault(loop, set()).add(channel_name)
    if loop not in _beating:
        _beating[loop] = loop.create_task(_beat())


def socket_closed(channel_name: str) -> None:
    loop = asyncio.get_running_loop()
    sockets = _open.get(loop, set())
    sockets.discard(channel_name)
    if not sockets:
        _open.pop(loop, None)
        task = _beating.pop(loop, None)
        if task is not None:
            task.cancel()


def release_later(channel_name: str) -> None:
    _unreleased.add(channel_name)


async def beat_once() -> int:
    """One heartbeat now: the number of leases pushed forward."""
    released = list(_unreleased)
    beat = db_async(budgets.socket_leases_heartbeat)
    pushed = await beat(process=process_id(), now=timezone.now(), released=released)
    _unreleased.difference_update(released)
    return pushed


async def _beat() -> None:
    while True:
        await asyncio.sleep(settings.SOCKET_HEARTBEAT_SECONDS)
        try:
            await beat_once()
        except Exception:
            # The database away: the next beat tries again, well within the lease.
            logger.warning("socket lease heartbeat failed", exc_info=True)

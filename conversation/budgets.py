"""Per-user budgets shared by every door: replies a minute (API and socket), open sockets."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from chatproject.api.throttling import CountingRateThrottle
from conversation.models import SocketLease


class ReplyRateThrottle(CountingRateThrottle):
    """THROTTLE_API_REPLY, one budget per user: the reply endpoint uses it as a DRF throttle, and
    the socket asks it before each send (`allow_request` with any object that has `user`)."""

    scope = "api_reply"

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


@transaction.atomic
def socket_lease_acquire(*, user_id: int, channel_name: str, process: str, now: datetime | None = None) -> bool:
    """Count one more open socket of the user, held by `process` (socket_heartbeat.process_id): False,
    with nothing stored, past MAX_SOCKETS_PER_USER. Leases past their expiry (a process that died,
    its heartbeat stopped) count no more and are swept here.

    The user's row is locked so that sockets opening at once on several processes count in turn.
    """
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()
    SocketLease.objects.filter(user_id=user_id, expires_at__lt=now).delete()
    if SocketLease.objects.filter(user_id=user_id).count() >= settings.MAX_SOCKETS_PER_USER:
        return False
    SocketLease.objects.create(
        channel_name=channel_name,
        user_id=user_id,
        process=process,
        expires_at=now + timedelta(seconds=settings.SOCKET_LEASE_SECONDS),
    )
    return True


def socket_leases_heartbeat(*, process: str, now: datetime, released: Sequence[str] = ()) -> int:
    """Push forward every lease `process` holds, by one UPDATE (socketlease_process_idx); first
    delete those of `released` sockets (closed, their release failed), which must lapse instead."""
    if released:
        SocketLease.objects.filter(channel_name__in=released).delete()
    return SocketLease.objects.filter(process=process).update(
        expires_at=now + timedelta(seconds=settings.SOCKET_LEASE_SECONDS)
    )


def socket_lease_release(*, channel_name: str) -> None:
    SocketLease.objects.filter(channel_name=channel_name).delete()

"""What running processes hold: the reply being written in a session, the open sockets."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from conversation.models.sessions import Session


class ReplyInFlight(models.Model):
    """The one reply being written in a session, claimed before its user message is stored.

    One row per session at most (the primary key), so a second message while a reply is being
    written is refused, on every door and every process, whatever Redis is doing. The row names the
    message it answers (its client_id): a retry of that message joins the reply instead. It is
    removed when the reply is stored; `expires_at` frees a session whose process died mid-reply.
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="+")
    client_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "reply in flight"
        verbose_name_plural = "replies in flight"

    def __str__(self) -> str:
        return f"reply to {self.client_id} in {self.session_id}"


class SocketLease(models.Model):
    """One open chat socket, so that a user's open sockets are counted across processes.

    Removed when the socket closes; `expires_at`, pushed forward by its process's heartbeat
    (conversation/socket_heartbeat.py), frees the lease of a process that died with the socket open.
    """

    channel_name = models.CharField(max_length=200, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    process = models.CharField(max_length=64, default="")  # the process holding the socket open

    class Meta:
        indexes = [
            # socket_lease_acquire: WHERE user_id = ? AND expires_at >= now (the count) or < now (the sweep).
            models.Index(fields=["user", "expires_at"], name="socketlease_user_expires_idx"),
            # socket_leases_heartbeat: WHERE process = ?
            models.Index(fields=["process"], name="socketlease_process_idx"),
        ]

    def __str__(self) -> str:
        return self.channel_name

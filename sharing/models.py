import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from conversation.models import Session

SHARE_ID_BYTES = 24  # 192 bits: token_urlsafe gives 32 characters


def share_id_new() -> str:
    return secrets.token_urlsafe(SHARE_ID_BYTES)


class Audience(models.TextChoices):
    ANYONE = "anyone", "Anyone with the link"
    SIGNED_IN = "signed_in", "Signed-in users"
    NAMED = "named", "Named users"


class Share(models.Model):
    """A read-only link to a snapshot of a chat's active branch (docs/sharing.md). The snapshot is
    what the link shows; the session is kept only so the owner can update or find the link, and so
    that trashing it (checked at view time) or purging it (CASCADE) ends the link."""

    id = models.CharField(primary_key=True, max_length=64, default=share_id_new, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="shares")
    # The snapshot: the title and [{"role": ..., "text": ...}, ...], nothing else of the chat.
    title = models.CharField(max_length=200, blank=True, default="")
    messages = models.JSONField(default=list, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    snapshot_at = models.DateTimeField(default=timezone.now)
    display_name = models.CharField(max_length=100, blank=True, default="")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ANYONE)
    # Lower-cased e-mails, for the named audience only.
    emails = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    password_hash = models.CharField(max_length=256, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # share_list_for_user: a user's links, newest first, by keyset.
            models.Index(fields=["user", "-created_at", "-id"], name="share_user_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(audience__in=Audience.values), name="share_audience_valid"),
        ]

    def __str__(self) -> str:
        return f"share {self.pk[:8]}…"

    def get_absolute_url(self) -> str:
        return reverse("shared-page", args=[self.pk])

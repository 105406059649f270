"""Account writes: settings, device tokens, the re-check of open sockets."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.events import auth_recheck
from accounts.models import DeviceToken, User
from accounts.selectors import retention_choices
from chatproject import live

UNSET: Any = object()


def sockets_recheck(*, user_ids: Iterable[int], tokens_only: bool = False) -> None:
    """After the commit, ask the users' open sockets to check their credentials again: each one whose
    log-in session or device token is no longer valid closes with 4401 (ChatConsumer.auth_recheck).

    `tokens_only` asks only the sockets opened with a device token (a password being saved: the
    browser that changes it has its session updated after the save, and asks the others itself).
    """
    event = auth_recheck(tokens_only=tokens_only)
    live.publish_after_commit([(live.user_group(user_id), event) for user_id in user_ids])


@transaction.atomic
def device_token_create(*, user: User, name: str) -> tuple[DeviceToken, str]:
    """A new named token; returns it with its key, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name, such as the program or device that will use it.")
    # The user's row is locked so that two creations at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    unexpired = DeviceToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if unexpired >= settings.MAX_DEVICE_TOKENS_PER_USER:
        raise ValidationError(
            f"You have {unexpired} device tokens, the most allowed: revoke one you no longer use, then try again."
        )
    # No last use yet: the page says "never" until a program signs in with it.
    token, key = DeviceToken.objects.create(user=user, name=name[:100])
    return token, key


def device_token_touch(*, token: DeviceToken, now: datetime) -> None:
    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def device_token_revoke(*, user: User, public_id: uuid.UUID | str) -> None:
    """Revoke one of the user's tokens; DeviceToken.DoesNotExist for any other id."""
    deleted, _ = DeviceToken.objects.filter(user=user, public_id=public_id).delete()
    if not deleted:
        raise DeviceToken.DoesNotExist
    sockets_recheck(user_ids=[user.pk])


@transaction.atomic
def device_tokens_revoke_all(*, user: User) -> int:
    deleted, _ = DeviceToken.objects.filter(user=user).delete()
    sockets_recheck(user_ids=[user.pk], tokens_only=True)
    return deleted


def device_tokens_delete_expired(*, now: datetime) -> int:
    deleted, _ = DeviceToken.objects.filter(expiry__lt=now).delete()
    return deleted


def account_settings_update(*, user: User, retention_days: Any = UNSET) -> User:
    """Change the user's settings; a value the deployment does not offer is a ValidationError."""
    if retention_days is not UNSET:
        choices = retention_choices(cap=settings.SESSION_RETENTION_DAYS)
        if isinstance(retention_days, bool) or retention_days not in choices:
            offered = ", ".join("null (keep)" if days is None else str(days) for days in choices)
            raise ValidationError({"retention_days": f"Choose one of {offered}."})
        user.retention_days = retention_days
        user.save(update_fields=["retention_days"])
    return user

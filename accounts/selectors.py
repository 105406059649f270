"""Account reads: device tokens, and whether an open socket's credentials still hold."""

from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import DeviceToken, User


def device_token_list_for_user(*, user: User) -> list[DeviceToken]:
    """The user's live tokens, newest first (devicetoken_user_created_idx); bounded by the cap."""
    return list(
        DeviceToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")[
            : settings.MAX_DEVICE_TOKENS_PER_USER
        ]
    )


def login_session_user_id(*, session_key: str | None) -> int | None:
    """The user a browser's log-in session still authenticates (Django's own checks: the session
    exists, its password hash matches, the account is active), or None."""
    if not session_key:
        return None
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key=session_key)
    user = auth.get_user(SimpleNamespace(session=store))
    return user.pk if user.is_authenticated else None


def device_token_user_id(*, public_id) -> int | None:
    """The active user a device token still authenticates, or None (revoked, expired, deactivated)."""
    return (
        DeviceToken.objects.filter(public_id=public_id, expiry__gt=timezone.now(), user__is_active=True)
        .values_list("user_id", flat=True)
        .first()
    )

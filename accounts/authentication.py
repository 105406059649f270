"""API authentication by device token (django-rest-knox), and what a password change does to them."""

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication

from accounts import services
from accounts.models import DeviceToken, User


class DeviceTokenAuthentication(TokenAuthentication):
    """Knox's check of `Authorization: Token <key>`, in two queries at most.

    Knox also sweeps every other token of the user on each call (a query per call); here only the
    token presented is looked at, and expired ones are swept by `expire_sessions`.
    """

    def _cleanup_token(self, auth_token: DeviceToken) -> bool:
        return auth_token.expiry is not None and auth_token.expiry < timezone.now()

    def validate_user(self, auth_token: DeviceToken):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() > settings.DEVICE_TOKEN_TOUCH_SECONDS
        ):
            services.device_token_touch(token=token, now=now)
        return user, token


class RevokeDeviceTokensOnPasswordChange:
    """A password 'validator' that never refuses: Django calls `password_changed` after every save
    of a new password, whatever the door, and a changed password revokes every device token."""

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            services.device_tokens_revoke_all(user=user)

    def get_help_text(self) -> str:
        return "Changing your password signs out your programs and devices: their API tokens stop working."

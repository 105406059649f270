"""API authentication by device token (django-rest-knox), and what a password change does to them."""

import binascii
from hmac import compare_digest

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework.exceptions import AuthenticationFailed

from accounts import selectors, services
from accounts.models import DeviceToken, User


class DeviceTokenAuthentication(TokenAuthentication):
    """Knox's check of `Authorization: Token <key>`, in one query (two when it records a use).

    Knox also sweeps every other token of the user on each call (a query per call); here only the
    token presented is looked at, and expired ones are swept by `expire_sessions`. The token and its
    user are read by one fixed statement (selectors.device_tokens_for_key) instead of knox's
    queryset, whose building cost more than the rest of a call's authentication.
    """

    def authenticate_credentials(self, token: bytes):
        """knox's own, over device_tokens_for_key."""
        invalid = "Invalid token."
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:  # knox's own answers 500 to a header that is not UTF-8
            raise AuthenticationFailed(invalid) from None
        if "\x00" in token:  # no token holds one, and PostgreSQL refuses it in the look-up (a 500)
            raise AuthenticationFailed(invalid)
        for auth_token in selectors.device_tokens_for_key(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise AuthenticationFailed(invalid) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise AuthenticationFailed(invalid)

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

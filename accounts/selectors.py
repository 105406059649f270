"""Account reads: settings, device tokens, and whether an open socket's credentials still hold."""

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.models import Session as LoginSession
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import RETENTION_CHOICES, DeviceToken, User
from chatproject.fixed_sql import FixedStatement, instances_of, model_columns


def retention_days_effective(*, chosen: int | None, cap: int | None) -> int | None:
    """Days of inactivity before a session goes to the trash: the owner's choice, capped by the
    deployment's; None keeps it."""
    if chosen is None or cap is None:
        return cap if chosen is None else chosen
    return min(chosen, cap)


def retention_choices(*, cap: int | None) -> list[int | None]:
    """What a user may choose under the deployment's cap: the choices up to it, and None, which
    keeps sessions as long as the deployment does (for ever without a cap)."""
    return [*(days for days in RETENTION_CHOICES if cap is None or days <= cap), None]


@dataclass(frozen=True)
class AccountSettings:
    retention_days: int | None  # the owner's choice
    retention_days_effective: int | None  # after the deployment's cap
    retention_choices: list[int | None]


def account_settings_get(*, user: User) -> AccountSettings:
    cap = settings.SESSION_RETENTION_DAYS
    return AccountSettings(
        retention_days=user.retention_days,
        retention_days_effective=retention_days_effective(chosen=user.retention_days, cap=cap),
        retention_choices=retention_choices(cap=cap),
    )


def device_token_list_for_user(*, user: User) -> list[DeviceToken]:
    """The user's live tokens, newest first (devicetoken_user_created_idx); bounded by the cap."""
    return list(
        DeviceToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")[
            : settings.MAX_DEVICE_TOKENS_PER_USER
        ]
    )


def _token_columns() -> list:
    return model_columns("t", DeviceToken) + model_columns("u", User)


def _token_sql(quote) -> str:
    columns = ", ".join(f"{alias}.{quote(field.column)}" for alias, field in _token_columns())
    user, key = DeviceToken._meta.get_field("user"), DeviceToken._meta.get_field("token_key")
    return (
        f"SELECT {columns} FROM {quote(DeviceToken._meta.db_table)} t"  # noqa: S608 - names from the models
        f" JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = t.{quote(user.column)}"
        f" WHERE t.{quote(key.column)} = %s"
    )


_DEVICE_TOKENS_BY_KEY = FixedStatement(sql=_token_sql, columns=_token_columns)


def device_tokens_for_key(*, token_key: str) -> list[DeviceToken]:
    """The tokens stored under a key (a token's first characters; knox's token_key index), each with
    its user, as knox's look-up gives them: one fixed statement, since every API call by token makes it."""
    tokens = []
    for row in _DEVICE_TOKENS_BY_KEY.rows([token_key]):
        token, token.user = instances_of(row, DeviceToken, User)
        tokens.append(token)
    return tokens


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


def socket_credential_expiry(*, public_id=None, session_key: str | None = None) -> datetime | None:
    """When a socket's credential stops authenticating by itself, as stored now: a device token's
    expiry, or a browser log-in's (database sessions); None when never or not known."""
    if public_id is not None:
        return DeviceToken.objects.filter(public_id=public_id).values_list("expiry", flat=True).first()
    if session_key and settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        return LoginSession.objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()
    return None

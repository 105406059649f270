"""A link's password: its failures counted in the cache per link and client and per link alone, as
log-in counts them per address and per account (SHARE_PASSWORD_FAILURE_LIMIT tries from one client,
SHARE_PASSWORD_LINK_FAILURE_LIMIT from all, then SHARE_LOCKOUT_MINUTES without any); and the mark a
visitor's log-in session keeps once the password was right, which a new password voids."""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from sharing.models import Share


def _digest(*parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _failures_key(*, share_id: str, client: str) -> str:
    return f"share-password-failures:{_digest('password', share_id, client)}"


def _link_failures_key(*, share_id: str) -> str:
    return f"share-password-link-failures:{_digest('password-link', share_id)}"


def password_locked_out(*, share_id: str, client: str) -> bool:
    """Locked out: too many wrong passwords from this client, or from every client together (a
    guesser with many addresses, each under the per-client limit)."""
    client_key, link_key = _failures_key(share_id=share_id, client=client), _link_failures_key(share_id=share_id)
    counts = cache.get_many([client_key, link_key])
    return (counts.get(client_key) or 0) >= settings.SHARE_PASSWORD_FAILURE_LIMIT or (
        counts.get(link_key) or 0
    ) >= settings.SHARE_PASSWORD_LINK_FAILURE_LIMIT


def password_failure_record(*, share_id: str, client: str) -> None:
    """One more wrong password from the client and for the link. A right one clears the client's
    count only: the link's runs out with its window, as a visitor who knows it cannot vouch for others."""
    for key in (_failures_key(share_id=share_id, client=client), _link_failures_key(share_id=share_id)):
        _count(key)


def _count(key: str) -> None:
    timeout = settings.SHARE_LOCKOUT_MINUTES * 60
    if not cache.add(key, 1, timeout):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, timeout)


def password_failures_clear(*, share_id: str, client: str) -> None:
    cache.delete(_failures_key(share_id=share_id, client=client))


def unlock_mark(share: Share) -> str:
    """What a visitor keeps after giving the right password: changes with the password."""
    return _digest("unlocked", share.pk, share.password_hash)[:32]


def visitor_digest(*, share_id: str, day: str, visitor: str) -> str:
    """A visitor of a day, never their address in clear: the keyed hash of (link, day, visitor)."""
    return _digest("view", share_id, day, visitor)

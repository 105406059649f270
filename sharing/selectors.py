"""Reads of shared links (docs/sharing.md): the owner's links, one of them, and the decision a
visitor's request gets: 200, 401 (sign in, or the password), 404, 410 or 429 (locked out)."""

import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password
from django.utils import timezone

from accounts.models import User
from conversation.models import Session
from conversation.sessions.lookup import session_id_parse
from sharing.models import Audience, Share
from sharing.passwords import password_failure_record, password_failures_clear, password_locked_out, unlock_mark

# The owner's list and detail never read the snapshot itself.
LISTED_FIELDS_DEFERRED = ("messages",)


class Reason:
    OK = "ok"
    NOT_FOUND = "not_found"
    SIGN_IN = "sign_in"
    GONE = "gone"
    PASSWORD = "password"  # noqa: S105  (a reason, not a secret)
    WRONG_PASSWORD = "wrong_password"  # noqa: S105
    LOCKED_OUT = "locked_out"
    TOO_MANY_COPIES = "too_many_copies"


STATUS = {
    Reason.OK: 200,
    Reason.NOT_FOUND: 404,
    Reason.SIGN_IN: 401,
    Reason.GONE: 410,
    Reason.PASSWORD: 401,
    Reason.WRONG_PASSWORD: 401,
    Reason.LOCKED_OUT: 429,
    Reason.TOO_MANY_COPIES: 429,
}


@dataclass(frozen=True)
class ShareDecision:
    reason: str
    share: Share | None = None
    # Set when a right password was given now: the visitor's session keeps it (unlock_mark).
    unlocked: str | None = None

    @property
    def status(self) -> int:
        return STATUS[self.reason]


def share_get_for_user(*, user: User, share_id: str, for_update: bool = False) -> Share:
    """The user's link, revoked or not; another user's is "not found", like a missing one."""
    queryset = Share.objects.filter(user=user).defer(*LISTED_FIELDS_DEFERRED)
    if for_update:
        queryset = Share.objects.filter(user=user).select_for_update()
    return queryset.get(pk=str(share_id))


def share_list_for_user(*, user: User, session_id: uuid.UUID | str | None = None) -> list[Share]:
    """The user's links, newest first (at most MAX_SHARES exist); one chat's with `session_id` (in
    the trash or not; another user's chat is Session.DoesNotExist)."""
    queryset = Share.objects.filter(user=user).defer(*LISTED_FIELDS_DEFERRED).order_by("-created_at", "-id")
    if session_id is not None:
        session_id = session_id_parse(session_id)
        if not Session.objects.filter(user=user, pk=session_id).exists():
            raise Session.DoesNotExist("No such session.")
        queryset = queryset.filter(session_id=session_id)
    return list(queryset)


def share_is_live(share: Share) -> bool:
    """Not revoked, not expired, its chat not in the trash (a purged chat took its links with it)."""
    now = timezone.now()
    return (
        share.revoked_at is None
        and (share.expires_at is None or share.expires_at > now)
        and share.session.deleted_at is None
    )


def _named(viewer: User, share: Share) -> bool:
    """A named person is an account with a named address that existed when the owner last saved the
    link: sign-up does not verify addresses, so an address named before anyone had it is not given
    to whoever signs up with it first (docs/sharing.md)."""
    return viewer.email.lower() in share.emails and viewer.date_joined <= share.updated_at


def share_for_viewer(
    *, share_id: str, viewer: User, client: str, password: str | None = None, unlocked: str | None = None
) -> ShareDecision:
    """Whether `viewer` (maybe anonymous) may see the link, in this order: no such link 404; the
    audience (the owner is always in it; a visitor not signed in to a signed-in or named link 401
    "sign in"; a signed-in user not named 404); revoked, expired or its chat trashed 410; then the
    password (not asked of the owner): none given 401, locked out 429, wrong 401 (counted per link
    and `client`). `unlocked` is the mark kept from an earlier right password."""
    share = Share.objects.select_related("session").only("session__deleted_at", *_PAGE_FIELDS).filter(pk=share_id)
    share = share.first() if len(share_id) <= Share._meta.pk.max_length else None
    if share is None:
        return ShareDecision(Reason.NOT_FOUND)
    is_owner = viewer.is_authenticated and viewer.pk == share.user_id
    if not is_owner and share.audience != Audience.ANYONE:
        if not viewer.is_authenticated:
            return ShareDecision(Reason.SIGN_IN)
        if share.audience == Audience.NAMED and not _named(viewer, share):
            return ShareDecision(Reason.NOT_FOUND)
    if not share_is_live(share):
        return ShareDecision(Reason.GONE)
    if is_owner or not share.password_hash or (unlocked and unlocked == unlock_mark(share)):
        return ShareDecision(Reason.OK, share)
    if password is None:
        return ShareDecision(Reason.PASSWORD, share)
    if password_locked_out(share_id=share.pk, client=client):
        return ShareDecision(Reason.LOCKED_OUT, share)
    if not check_password(password, share.password_hash):
        password_failure_record(share_id=share.pk, client=client)
        return ShareDecision(Reason.WRONG_PASSWORD, share)
    password_failures_clear(share_id=share.pk, client=client)
    return ShareDecision(Reason.OK, share, unlocked=unlock_mark(share))


_PAGE_FIELDS = (
    "user_id",
    "session_id",
    "title",
    "messages",
    "message_count",
    "snapshot_at",
    "updated_at",
    "display_name",
    "audience",
    "emails",
    "expires_at",
    "password_hash",
    "revoked_at",
)

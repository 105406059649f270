"""Writes of shared links (docs/sharing.md): create, update (audience, expiry, password, display
name, a new snapshot), revoke, and a visit counted once per visitor a day."""

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from conversation.branches.edits import fork_title
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lookup import session_get_for_user
from sharing.models import Audience, Share
from sharing.passwords import visitor_digest
from sharing.rendering import share_messages_forget_after_commit, share_messages_render_after_commit
from sharing.selectors import Reason, ShareDecision, share_for_viewer, share_get_for_user
from sharing.snapshots import session_snapshot

UNSET: object = object()
MAX_DISPLAY_NAME = 100
MAX_PASSWORD = 128
VIEW_MEMORY_SECONDS = 24 * 60 * 60
# What a copy's metadata says of where it came from: never the link, the owner or their chat.
COPIED_NOTE = {"copied_from": "a shared chat"}


def _emails_clean(emails: list[str]) -> list[str]:
    if len(emails) > settings.MAX_SHARE_EMAILS:
        raise ValidationError({"emails": f"At most {settings.MAX_SHARE_EMAILS} e-mail addresses."})
    cleaned = []
    for email in emails:
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"emails": f"Not an e-mail address: {email!r}."}) from None
        if email not in cleaned:
            cleaned.append(email)
    return cleaned


def _audience_check(*, audience: str, emails: list[str]) -> None:
    if audience not in Audience.values:
        raise ValidationError({"audience": f"One of: {', '.join(Audience.values)}."})
    if audience == Audience.NAMED and not emails:
        raise ValidationError({"emails": "A link for named users needs at least one e-mail address."})


def _expiry_check(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "An expiry must be in the future."})


def _display_name_clean(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationError({"display_name": f"At most {MAX_DISPLAY_NAME} characters."})
    return name


def _password_hash(password: str | None) -> str:
    if not password:
        return ""
    if len(password) > MAX_PASSWORD:
        raise ValidationError({"password": f"At most {MAX_PASSWORD} characters."})
    return make_password(password)


@transaction.atomic
def share_create(
    *,
    user: User,
    session_id: uuid.UUID | str,
    audience: str = Audience.ANYONE,
    emails: list[str] | None = None,
    expires_at: datetime | None = None,
    password: str | None = None,
    display_name: str = "",
) -> Share:
    """A new link to a snapshot of the user's chat (a chat in the trash, another user's or a
    missing one: Session.DoesNotExist)."""
    emails = _emails_clean(emails or [])
    _audience_check(audience=audience, emails=emails)
    _expiry_check(expires_at)
    display_name = _display_name_clean(display_name)
    password_hash = _password_hash(password)
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    # Links of two chats made at once both counted below MAX_SHARES: they queue on the user's row.
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    if Share.objects.filter(user=user).count() >= settings.MAX_SHARES:
        raise ValidationError({"session": f"At most {settings.MAX_SHARES} shared links; revoke some first."})
    title, messages = session_snapshot(session=session)
    share = Share.objects.create(
        user=user,
        session=session,
        title=title,
        messages=messages,
        message_count=len(messages),
        audience=audience,
        emails=emails if audience == Audience.NAMED else [],
        expires_at=expires_at,
        password_hash=password_hash,
        display_name=display_name,
    )
    share_messages_render_after_commit(share=share)
    return share


@transaction.atomic
def share_update(
    *,
    user: User,
    share_id: str,
    audience: str | object = UNSET,
    emails: list[str] | object = UNSET,
    expires_at: datetime | object | None = UNSET,
    password: str | object | None = UNSET,
    display_name: str | object = UNSET,
    resnapshot: bool = False,
) -> Share:
    """Change what was given (a password of None or "" clears it); `resnapshot` takes the chat as
    it is now ("update the link"). A revoked link cannot change (400)."""
    share = share_get_for_user(user=user, share_id=share_id, for_update=True)
    if share.revoked_at is not None:
        raise ValidationError({"share": "This link was revoked; make a new one."})
    if emails is not UNSET:
        share.emails = _emails_clean(emails)
    if audience is not UNSET:
        share.audience = audience
    _audience_check(audience=share.audience, emails=share.emails)
    if share.audience != Audience.NAMED:
        share.emails = []
    if expires_at is not UNSET:
        _expiry_check(expires_at)
        share.expires_at = expires_at
    if password is not UNSET:
        share.password_hash = _password_hash(password)
    if display_name is not UNSET:
        share.display_name = _display_name_clean(display_name)
    if resnapshot:
        session = session_get_for_user(user=user, session_id=share.session_id, for_update=True)
        share.title, share.messages = session_snapshot(session=session)
        share.message_count = len(share.messages)
        share.snapshot_at = timezone.now()
    share_messages_forget_after_commit(shares=[share])
    share.updated_at = timezone.now()
    share.save()
    share_messages_render_after_commit(share=share)
    return share


@transaction.atomic
def share_revoke(*, user: User, share_id: str) -> Share:
    """The link answers 410 from now on; revoking twice keeps the first time."""
    share = share_get_for_user(user=user, share_id=share_id, for_update=True)
    if share.revoked_at is None:
        share_messages_forget_after_commit(shares=[share])
        share.revoked_at = share.updated_at = timezone.now()
        share.save(update_fields=["revoked_at", "updated_at"])
    return share


def share_view_count(*, share: Share, visitor: str) -> bool:
    """Count a visit once per visitor (a user id or a client address, only ever hashed) a day; True
    when this one counted."""
    now = timezone.now()
    key = f"share-view:{visitor_digest(share_id=share.pk, day=now.date().isoformat(), visitor=visitor)}"
    if not cache.add(key, 1, VIEW_MEMORY_SECONDS):
        return False
    Share.objects.filter(pk=share.pk).update(view_count=F("view_count") + 1, last_viewed_at=now)
    return True


def _copy_counted(*, user: User) -> bool:
    """One more copy of the user's this hour: False past SHARE_COPIES_PER_HOUR. A copy writes up to
    MAX_SHARE_MESSAGES messages from one unthrottled page request; unbounded, one link of a long
    chat copied in a loop filled the database."""
    key = f"share-copies:{user.pk}:{int(timezone.now().timestamp() // 3600)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # the cache lost the key: count from here
        return True
    return count <= settings.SHARE_COPIES_PER_HOUR


@transaction.atomic
def share_copy(
    *, user: User, share_id: str, client: str, unlocked: str | None = None
) -> tuple[ShareDecision, Session | None]:
    """ "Continue as copy": a new chat of the signed-in `user`'s own holding the link's snapshot,
    when the link opens for them (share_for_viewer; else the decision and no chat). The copy keeps
    a note that it came from a shared chat, never a reference to the link or the owner's chat."""
    decision = share_for_viewer(share_id=share_id, viewer=user, client=client, unlocked=unlocked)
    if decision.reason != Reason.OK:
        return decision, None
    if not _copy_counted(user=user):
        return ShareDecision(Reason.TOO_MANY_COPIES), None
    share = decision.share
    session = session_create(user=user, title=fork_title(share.title), metadata=dict(COPIED_NOTE))
    batch = settings.MAX_BATCH_UTTERANCES
    for start in range(0, len(share.messages), batch):
        utterances_append(
            user=user,
            session_id=session.pk,
            utterances=[UtteranceIn(role=m["role"], text=m["text"]) for m in share.messages[start : start + batch]],
        )
    return decision, session

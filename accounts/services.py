"""Account writes: device tokens, the re-check of open sockets, deleting an account with everything it owns."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import DeviceToken, User
from conversation import events
from conversation import services as conversation_services
from conversation.models import Session, SessionAudit

DELETE_BATCH_SIZE = 1000


def sockets_recheck(*, user_ids: Iterable[int], tokens_only: bool = False) -> None:
    """After the commit, ask the users' open sockets to check their credentials again: each one whose
    log-in session or device token is no longer valid closes with 4401 (ChatConsumer.auth_recheck).

    `tokens_only` asks only the sockets opened with a device token (a password being saved: the
    browser that changes it has its session updated after the save, and asks the others itself).
    """
    event = {"type": "auth.recheck", "tokens_only": tokens_only}
    events.publish_after_commit([(events.user_group(user_id), event) for user_id in user_ids])


@transaction.atomic
def device_token_create(*, user: User, name: str) -> tuple[DeviceToken, str]:
    """A new named token; returns it with its key, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name, such as the program or device that will use it.")
    # The user's row is locked so that two creations at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    live = DeviceToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.MAX_DEVICE_TOKENS_PER_USER:
        raise ValidationError(
            f"You have {live} device tokens, the most allowed: revoke one you no longer use, then try again."
        )
    token, key = DeviceToken.objects.create(user=user, name=name[:100], last_used_at=timezone.now())
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


@transaction.atomic
def users_delete(*, user_ids: Iterable[int], actor_id: int | None = None) -> tuple[int, int, int]:
    """Delete accounts with their sessions and utterances; returns (users, sessions, utterances).

    The sessions go through conversation's own delete in batches (set-based statements, cached
    context windows forgotten after the commit, an audit row each naming `actor_id` and the
    erasure), so no row is loaded per utterance.
    """
    ids = list(user_ids)
    session_ids = list(Session.objects.filter(user_id__in=ids).values_list("id", flat=True))
    sessions = utterances = 0
    for start in range(0, len(session_ids), DELETE_BATCH_SIZE):
        deleted = conversation_services.sessions_delete(
            session_ids=session_ids[start : start + DELETE_BATCH_SIZE],
            announce=False,
            actor_id=actor_id,
            cause=SessionAudit.Cause.ERASURE,
        )
        sessions, utterances = sessions + deleted[0], utterances + deleted[1]
    _, deleted_by_model = User.objects.filter(id__in=ids).delete()
    sockets_recheck(user_ids=ids)
    return deleted_by_model.get(User._meta.label, 0), sessions, utterances

"""Account writes: deleting an account with everything it owns."""

from collections.abc import Iterable

from django.db import transaction

from accounts.models import User
from conversation import services as conversation_services
from conversation.models import Session

DELETE_BATCH_SIZE = 1000


@transaction.atomic
def users_delete(*, user_ids: Iterable[int]) -> tuple[int, int, int]:
    """Delete accounts with their sessions and utterances; returns (users, sessions, utterances).

    The sessions go through conversation's own delete in batches (set-based statements, cached
    context windows forgotten after the commit), so no row is loaded per utterance.
    """
    ids = list(user_ids)
    session_ids = list(Session.objects.filter(user_id__in=ids).values_list("id", flat=True))
    sessions = utterances = 0
    for start in range(0, len(session_ids), DELETE_BATCH_SIZE):
        deleted = conversation_services.sessions_delete(
            session_ids=session_ids[start : start + DELETE_BATCH_SIZE], announce=False
        )
        sessions, utterances = sessions + deleted[0], utterances + deleted[1]
    _, deleted_by_model = User.objects.filter(id__in=ids).delete()
    return deleted_by_model.get(User._meta.label, 0), sessions, utterances

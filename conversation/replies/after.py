"""What follows a stored reply, beyond the append's own events (docs/context.md): each concern adds
its one call here. `reply_stored_in_transaction` runs in the reply's own transaction (counts kept
exact with it); `reply_stored` after it commits (background work: it never delays a reply)."""

from accounts.models import User
from conversation.models import Session, Utterance
from conversation.summaries.trigger import summary_refresh_if_due
from conversation.titles.services import session_title_propose_if_due
from conversation.usage.services import usage_record_reply


def reply_stored_in_transaction(*, user: User, session: Session, reply: Utterance) -> None:
    """In the transaction that stores `reply` (an assistant utterance with its usage in metadata)."""
    usage_record_reply(user=user, reply=reply)


def reply_stored(*, user: User, session: Session, reply: Utterance) -> None:
    """After the transaction that stored `reply` commits (an on-commit hook: see replies/store.py)."""
    session_title_propose_if_due(user=user, session=session, reply=reply)
    summary_refresh_if_due(session=session, reply=reply)

"""What a link shows: the chat's title and its active branch's user and assistant messages, role
and text only, read in pages and bounded by MAX_SHARE_MESSAGES (docs/sharing.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError

from conversation.history.pages import utterances_after
from conversation.models import Role, Session

SNAPSHOT_PAGE = 500
SHOWN_ROLES = (Role.USER, Role.ASSISTANT)


def session_snapshot(*, session: Session) -> tuple[str, list[dict]]:
    """(title, messages) of the session as it is now. System messages, metadata, other branches,
    the persona and instructions are never read into it."""
    limit = settings.MAX_SHARE_MESSAGES
    if session.message_count > limit:
        raise ValidationError({"session": f"A chat of more than {limit} messages cannot be shared."})
    messages: list[dict] = []
    after = 0
    while True:
        rows = utterances_after(
            session_id=session.pk, after=after, limit=SNAPSHOT_PAGE, branch_path=session.branch_path
        )
        messages += [{"role": row.role, "text": row.text} for row in rows if row.role in SHOWN_ROLES]
        if len(messages) > limit:
            raise ValidationError({"session": f"A chat of more than {limit} messages cannot be shared."})
        if len(rows) < SNAPSHOT_PAGE:
            return session.display_title, messages
        after = rows[-1].seq

"""Reading summaries (docs/context.md): the newest one on a session's active branch."""

from conversation.branches.paths import path_rows
from conversation.models import ContextSummary, Session


def summary_for_session(*, session: Session) -> ContextSummary | None:
    """The newest summary on `session`'s active branch (as read): one whose point is on the path
    from the root to the head, so none of another branch's messages. One query, on
    contextsummary_point_unique."""
    if session.head_seq is None:
        return None
    rows = path_rows(
        ContextSummary.objects.filter(session_id=session.pk),
        branch_path=session.branch_path,
        limit=1,
        below=session.head_seq + 1,
        newest=True,
    )
    return rows[0] if rows else None

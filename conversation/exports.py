"""A session as JSON or Markdown, page by page so memory does not grow with it: the export endpoint
streams it, the account export writes it into its zip."""

import json
from collections.abc import Iterator

from django.utils import timezone
from django.utils.text import slugify

from chatproject.timestamps import iso_datetime
from conversation import shapes
from conversation.history.pages import utterances_after
from conversation.models import Session, Utterance
from conversation.summaries.selectors import summary_for_session

EXPORT_PAGE_SIZE = 500
ROLE_HEADINGS = {"user": "You", "assistant": "Assistant", "system": "System"}


def export_basename(*, session: Session, unique: bool = False) -> str:
    """`<title>-<day>-<id>`: the id's first 8 characters, or all of it when many files sit together."""
    slug = slugify(session.title)[:50] or "chat"
    day = timezone.localtime(session.created_at).date().isoformat()
    return f"{slug}-{day}-{session.pk if unique else str(session.pk)[:8]}"


def export_filename(*, session: Session, export_format: str) -> str:
    return f"{export_basename(session=session)}.{'md' if export_format == 'markdown' else 'json'}"


def session_chunks(*, session: Session, export_format: str, all_branches: bool = False) -> Iterator[str]:
    """The active branch; with `all_branches` (JSON only) every stored utterance by seq, the whole
    tree, which each message's parent_seq and the session's head_seq rebuild."""
    if export_format == "markdown":
        return session_markdown(session)
    return session_json(session, all_branches=all_branches)


def _pages(session: Session, *, all_branches: bool = False) -> Iterator[list[Utterance]]:
    branch_path = [] if all_branches else session.branch_path
    after = 0
    while True:
        rows = utterances_after(session_id=session.pk, after=after, limit=EXPORT_PAGE_SIZE, branch_path=branch_path)
        if rows:
            yield rows
        if len(rows) < EXPORT_PAGE_SIZE:
            return
        after = rows[-1].seq


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def session_json(session: Session, *, all_branches: bool = False) -> Iterator[str]:
    # The session as every endpoint answers it, with its metadata and the time of the export; then
    # its final messages, each as the API answers it.
    zone = timezone.get_current_timezone()
    header = {
        **shapes.session(session, zone=zone),
        "metadata": session.metadata,
        "exported_at": iso_datetime(timezone.now(), zone),
        "branches": "all" if all_branches else "active",
    }
    summary = summary_for_session(session=session)
    summary_shape = shapes.context_summary(summary, zone=zone) if summary is not None else None
    yield '{"session": ' + _dumps(header) + ', "summary": ' + _dumps(summary_shape) + ', "messages": ['
    separator = ""
    for rows in _pages(session, all_branches=all_branches):
        yield separator + ", ".join(_dumps(shapes.utterance(row, zone=zone)) for row in rows)
        separator = ", "
    yield "]}\n"


def session_markdown(session: Session) -> Iterator[str]:
    created = timezone.localtime(session.created_at).strftime("%Y-%m-%d %H:%M")
    yield f"# {session.display_title}\n\n"
    yield f"_{session.persona.name} · started {created} · {session.message_count} messages_\n\n"
    summary = summary_for_session(session=session)
    if summary is not None:
        # What the model is given in place of the messages before it (they follow, whole).
        edited = ", edited by its owner" if summary.edited_at else ""
        yield (
            f"## Earlier in this chat\n\n_A summary of the first {summary.messages} messages{edited}_\n\n"
            f"{_hard_breaks(summary.text)}\n\n## Messages\n\n"
        )
    for rows in _pages(session):
        yield "".join(
            f"### {ROLE_HEADINGS.get(row.role, row.role)} · {timezone.localtime(row.created_at):%Y-%m-%d %H:%M}\n\n"
            f"{row.text}\n\n"
            for row in rows
        )


def _hard_breaks(text: str) -> str:
    """A summary's lines as lines in Markdown too (a line break alone joins them into one paragraph)."""
    return "  \n".join(line.rstrip() for line in text.splitlines())

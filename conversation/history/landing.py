"""Landing on a message (docs/landing.md): a page of history around a seq, on the branch that
holds it. A seq on the active branch shows the active branch; one on another branch shows that
branch's path, from the root through the seq down to its newest leaf (what "Continue from here",
a switch to the seq, makes active), and the page says which leaf, so that its older and newer
pages follow the same path (`utterance_page(leaf=...)`)."""

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError

from accounts.models import User
from chatproject.db.cursors import server_binding
from conversation import inputs
from conversation.branches.head import newest_leaf_under
from conversation.branches.paths import path_stretches
from conversation.history.pages import UtterancePage, page_reader, siblings_of_rows, utterance_page, within_chars
from conversation.models import Utterance
from conversation.sessions.lookup import session_get_for_user


@dataclass(frozen=True)
class Landing:
    page: UtterancePage
    at: int | None  # the message landed on; None when `refused` (the page is then the newest one)
    leaf: int | None = None  # the viewed path's last seq when it is not the active branch
    refused: str = ""  # why the seq asked for was not landed on


def utterance_page_around(
    *,
    user: User,
    session_id: uuid.UUID | str,
    around: Any,
    limit: Any = None,
    max_chars: int | None = None,
    with_session: bool = False,
) -> Landing:
    """A page of final utterances around the seq `around`: it and up to half the page before it,
    the rest after it, on the branch that holds it. ValidationError for a seq that is not a whole
    number or names no final utterance of the session; Session.DoesNotExist for another user's.

    Keyset reads on the indexes every page uses (utterance_session_seq_unique,
    utterance_branch_seq_idx), so the cost is the same wherever the seq lies: the session, the
    older half (the seq included), the newer half; a branched session's seq is read first (its
    branch); one on another branch costs two more (its newest leaf: newest_leaf_under)."""
    limit = inputs.check_limit(limit)
    at = inputs.check_seq(around, field_name="around")
    if at is None:
        raise ValidationError({"around": "around must be a whole number."})
    missing = ValidationError({"around": f"This chat has no message {at}."})
    with server_binding():
        found = session_get_for_user(user=user, session_id=session_id)
        branch_path, leaf = found.branch_path, None
        branched = bool(branch_path)
        if branched:
            target = (
                Utterance.objects.filter(session_id=found.pk, seq=at, is_final=True)
                .values_list("seq", "branch", named=True)
                .first()
            )
            if target is None:
                raise missing
            if not _on_path(branch_path, found.head_seq, target.branch, at):
                leaf_seq, leaf_branch, ancestors = newest_leaf_under(
                    session=found, target=SimpleNamespace(seq=at, branch=target.branch)
                )
                branch_path, leaf = [[leaf_branch, leaf_seq], *ancestors], leaf_seq
        page_of = page_reader(found.pk, branch_path, branched=branched)
        older_count = max(1, limit // 2)
        older = page_of(below=at + 1, limit=older_count + 1, newest=True)
        if not older or older[0].seq != at:
            raise missing
        newer = page_of(above=at, limit=limit - older_count + 1, newest=False)
    half = max_chars // 2 if max_chars else None
    older_rows = within_chars(older[:older_count], half)[::-1]
    newer_rows = within_chars(newer[: limit - older_count], half)
    rows = older_rows + newer_rows
    page = UtterancePage(
        session=found if with_session else None,
        utterances=rows,
        has_before=len(older) > len(older_rows),
        has_after=len(newer) > len(newer_rows),
        siblings=siblings_of_rows(rows, branched=branched),
    )
    return Landing(page=page, at=at, leaf=leaf)


def _on_path(branch_path: list, head_seq: int | None, branch: int, seq: int) -> bool:
    """Whether the utterance `seq` of `branch` lies on the active branch (Session.branch_path)."""
    for stretch in path_stretches(branch_path, above=seq - 1, below=seq + 1):
        upto = head_seq if stretch.upto is None else stretch.upto
        if stretch.branch == branch and stretch.after < seq and upto is not None and seq <= upto:
            return True
    return False


def utterance_page_landing(
    *,
    user: User,
    session_id: uuid.UUID | str,
    around: Any,
    limit: Any = None,
    max_chars: int | None = None,
) -> Landing:
    """What the chat page opens with `?at=`: the page around the seq, or, for a seq that is not a
    whole number or names no message, the newest page with the reason (the page says it)."""
    try:
        return utterance_page_around(
            user=user, session_id=session_id, around=around, limit=limit, max_chars=max_chars, with_session=True
        )
    except ValidationError as exc:
        refused = " ".join(exc.messages)
    page = utterance_page(user=user, session_id=session_id, limit=limit, max_chars=max_chars, with_session=True)
    return Landing(page=page, at=None, refused=refused)

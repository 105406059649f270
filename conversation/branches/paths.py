"""Branch-path math (docs/branches.md): where each branch of a path lies, the condition and rows of
a path, the way from an utterance to the root, and the utterances a branch operation names."""

from collections.abc import Iterator
from itertools import islice
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from chatproject.db.expressions import KeyedRanges
from conversation import inputs
from conversation.models import Role, Session, SessionBranch, Utterance


def active_path_filter(branch_path: list) -> Q | KeyedRanges:
    """The utterances of the active branch of a session whose `branch_path` this is (empty: the
    session has one branch, all of it). Each [branch, last seq] names a stretch of the path; the
    head's own branch is all of it (last seq null). One term per stretch: for a page of the
    history, path_rows reads only the stretches it needs."""
    return stretches_filter(list(path_stretches(branch_path)))


class Stretch(NamedTuple):
    """Where one branch lies on a path: its utterances with `after` < seq <= `upto` (None: no end).
    A branch's utterances all follow its fork point, the last seq of the stretch before it."""

    branch: int
    after: int
    upto: int | None


def path_stretches(branch_path: list, *, above: int = 0, below: int | None = None) -> Iterator[Stretch]:
    """The stretches of a path (Session.branch_path, or SessionBranch.path with the head's own
    branch first) that can hold a seq in (above, below), newest first: their seqs are disjoint and
    fall as they go to the root, so the look stops at the first one that ends at `above`."""
    last = len(branch_path) - 1
    for i, (branch, top) in enumerate(branch_path):
        if top is not None and top <= above:
            return
        after = branch_path[i + 1][1] if i < last else 0
        if below is None or after < below - 1:
            yield Stretch(branch, after, top)


def stretches_filter(stretches: list[Stretch], *, above: int = 0, below: int | None = None) -> Q | KeyedRanges:
    """The condition "on one of `stretches`, with above < seq < below" for a query of one
    session's utterances: one term per stretch, each a range of utterance_branch_seq_idx
    (KeyedRanges: a page builds it each time, and a Q of the ranges costs more than its query)."""
    if not stretches:
        return Q()
    ranges = []
    for stretch in stretches:
        bounds = []
        low = max(stretch.after, above)
        if low:
            bounds.append((">", low))
        if stretch.upto is not None and (below is None or stretch.upto < below):
            bounds.append(("<=", stretch.upto))
        elif below is not None:
            bounds.append(("<", below))
        ranges.append((stretch.branch, bounds))
    return KeyedRanges(key="branch", value="seq", ranges=ranges)


def path_rows(
    queryset: QuerySet, *, branch_path: list, limit: int, above: int = 0, below: int | None = None, newest: bool
) -> list:
    """The first `limit` rows of `queryset` (one session's utterances) on the path `branch_path`
    with above < seq < below: the newest first (`newest`) or the oldest first.

    A page needs a stretch or two of a path of hundreds: the stretches are read in order, two at
    first, then twice as many each time, until the page is full; so a page costs about the same
    on a branched session as on a plain one, wherever it lies (utterance_branch_seq_idx,
    utterance_session_seq_unique)."""
    queryset = queryset.order_by("-seq" if newest else "seq")
    if not branch_path:
        if below is not None:
            queryset = queryset.filter(seq__lt=below)
        return list(queryset.filter(seq__gt=above)[:limit] if above else queryset[:limit])
    reaching = path_stretches(branch_path, above=above, below=below)
    stretches = reaching if newest else reversed(list(reaching))
    rows: list = []
    batch = 2
    while len(rows) < limit and (chunk := list(islice(stretches, batch))):
        condition = stretches_filter(chunk, above=above, below=below)
        rows += list(queryset.filter(condition)[: limit - len(rows)])
        batch *= 2
    return rows


def path_to(*, session: Session, seq: int | None) -> list[list]:
    """The way from the utterance `seq` to the root, as [[branch, last seq on it], ...]."""
    if seq is None:
        return []
    branch = Utterance.objects.filter(session=session, seq=seq).values_list("branch", flat=True).get()
    ancestors = SessionBranch.objects.get(session=session, number=branch).path if branch else []
    return [[branch, seq], *ancestors]


def utterance_at(*, session: Session, seq: Any) -> Utterance:
    """The session's utterance `seq` (what the branch operations name); ValidationError for a seq
    that is not a whole number or names no utterance of the session."""
    if isinstance(seq, bool) or not isinstance(seq, int | str) or inputs.check_seq(seq, field_name="seq") is None:
        raise ValidationError({"seq": "seq must be a whole number."})
    seq = inputs.check_seq(seq, field_name="seq")
    try:
        return Utterance.objects.only("seq", "parent_seq", "branch", "role", "is_final").get(session=session, seq=seq)
    except Utterance.DoesNotExist:
        raise ValidationError({"seq": f"This chat has no message {seq}."}) from None


def utterance_answered_by(*, session: Session, seq: Any) -> Utterance:
    """The message the assistant message `seq` answers (what a regeneration answers again);
    ValidationError for a seq that is not a reply of the session, or a reply that answers nothing."""
    reply = utterance_at(session=session, seq=seq)
    if reply.role != Role.ASSISTANT:
        raise ValidationError({"seq": "Only a reply can be regenerated; edit your message instead."})
    if reply.parent_seq is None:
        raise ValidationError({"seq": "This reply answers no message: there is nothing to answer again."})
    return Utterance.objects.get(session=session, seq=reply.parent_seq)  # whole: the reply's answers show it

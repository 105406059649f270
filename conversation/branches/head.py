"""The session's head (docs/branches.md): moved to another branch with the counts made right, a new
branch started, the active branch switched, and every tab told."""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, JSONField, Max, OuterRef, Subquery, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from chatproject import live
from conversation import events, inputs
from conversation.branches.paths import path_stretches, path_to, stretches_filter, utterance_at
from conversation.models import ReplyInFlight, Role, Session, SessionBranch, Utterance
from conversation.replies.claim import ReplyBusy
from conversation.sessions.lookup import session_get_for_user


def _head_move(session: Session, *, branch: int, seq: int | None, path: list[list]) -> None:
    """Put the locked session's head on `branch` after `seq`: the active branch is then `path`'s,
    its counts are made right and cached windows of the old head are never read.

    The counts change by what lies between the two heads: the old path's utterances after the
    last one both paths share are taken off, the new path's added (one query, reading only the
    utterances after that one; all of them when the two share nothing). The preview stays while
    the shared part holds a user message (the old path's count less those taken off); otherwise it
    is the new path's first past that part, one more query only when there is one."""
    old_path = session.branch_path or [[session.head_branch, None]]
    new_path = [[branch, None], *path]
    shared = _last_shared_seq(old_path, session.head_seq, new_path, seq)
    counts = {
        Role.USER: session.user_message_count,
        Role.ASSISTANT: session.assistant_message_count,
        Role.SYSTEM: session.system_message_count,
    }
    changes = _path_counts_change(session, old_path, new_path, after=shared)
    users_shared = session.user_message_count - changes.get(Role.USER, (0, 0))[1]
    for role, (added, removed) in changes.items():
        counts[role] = counts.get(role, 0) + added - removed
    preview_changed = users_shared == 0
    if preview_changed:
        session.preview = _first_user_preview(session, new_path, after=shared) if counts[Role.USER] else ""
    session.head_branch, session.head_seq = branch, seq
    session.branch_path = new_path
    session.context_epoch += 1
    session.user_message_count = counts[Role.USER]
    session.assistant_message_count = counts[Role.ASSISTANT]
    session.system_message_count = counts[Role.SYSTEM]
    session.message_count = sum(counts.values())
    session.save(
        update_fields=[
            "head_branch",
            "head_seq",
            "branch_path",
            "context_epoch",
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
            *(["preview"] if preview_changed else []),
        ]
    )


def _first_user_preview(session: Session, path: list, *, after: int) -> str:
    """The preview of the first final user message on `path` past the seq `after`."""
    text = (
        Utterance.objects.filter(
            stretches_filter(list(path_stretches(path, above=after)), above=after),
            session=session,
            role=Role.USER,
            is_final=True,
        )
        .order_by("seq")
        .values_list("text", flat=True)
        .first()
    )
    return inputs.preview_text(text) if text else ""


def _last_shared_seq(path: list, head: int | None, other: list, other_head: int | None) -> int:
    """The seq of the last utterance two paths share (0: none). A branch on both holds both
    stretches' utterances up to the lower of their last seqs (a head's branch: up to its head)."""
    tops = {number: head if top is None else top for number, top in path}
    shared = 0
    for number, top in other:
        top = other_head if top is None else top
        if number in tops and top is not None and tops[number] is not None:
            shared = max(shared, min(top, tops[number]))
    return shared


def _path_counts_change(session: Session, old_path: list, new_path: list, *, after: int) -> dict:
    """{role: (final utterances on the new path, on the old one)} past `after`, in one query over
    the stretches the two reach past it (no utterance past `after` is on both)."""
    old, new = list(path_stretches(old_path, above=after)), list(path_stretches(new_path, above=after))
    if not old and not new:
        return {}

    def on(stretches: list):
        if not stretches:
            return Value(0)
        return Sum(Case(When(stretches_filter(stretches), then=Value(1)), default=Value(0)))

    rows = (
        Utterance.objects.filter(stretches_filter(old + new), session=session, is_final=True, seq__gt=after)
        .order_by()
        .values("role")
        .annotate(added=on(new), removed=on(old))
        .values_list("role", "added", "removed")
    )
    return {role: (added, removed) for role, added, removed in rows}


def branch_start(*, session: Session, fork_seq: int | None) -> int:
    """A new branch of the locked `session` after `fork_seq` (None: at the root), with the head on
    it: the next append follows `fork_seq` on the new branch. Returns its number."""
    number = (SessionBranch.objects.filter(session=session).aggregate(top=Max("number"))["top"] or 0) + 1
    path = path_to(session=session, seq=fork_seq)
    SessionBranch.objects.create(session=session, number=number, fork_seq=fork_seq, path=path)
    _head_move(session, branch=number, seq=fork_seq, path=path)
    return number


def newest_leaf_under(*, session: Session, target: Utterance) -> tuple[int, int, list]:
    """The newest utterance under `target` (itself when it has none): (seq, branch, the branch's way
    to the root)."""
    # The branches that may hang from the target: their fork points come after it. Each as two
    # numbers (its number and the branch it forks from), not its whole path.
    forked_from = Cast(KT("path__0__0"), IntegerField())
    branches = list(
        SessionBranch.objects.filter(session=session, fork_seq__gte=target.seq).values_list("number", forked_from)
    )
    under = {target.branch}
    grew = True
    while grew:
        grew = False
        for number, parent in branches:
            if number not in under and parent in under:
                under.add(number)
                grew = True
    # The newest utterance under the target, with its branch's way to the root (none for branch 0).
    branch_path = SessionBranch.objects.filter(session=session, number=OuterRef("branch")).values("path")[:1]
    leaf_seq, leaf_branch, path = (
        Utterance.objects.filter(session=session, branch__in=under, seq__gte=target.seq)
        .order_by("-seq")
        .values_list("seq", "branch", Subquery(branch_path, output_field=JSONField()))
        .first()
    )
    return leaf_seq, leaf_branch, path or []


def session_head_to_leaf(*, session: Session, target: Utterance) -> bool:
    """Put the locked `session`'s head on the newest utterance under `target` (its newest leaf; the
    branch through it becomes the active one). Returns whether the head moved; nobody is told."""
    leaf_seq, leaf_branch, path = newest_leaf_under(session=session, target=target)
    if (leaf_branch, leaf_seq) == (session.head_branch, session.head_seq):
        return False
    _head_move(session, branch=leaf_branch, seq=leaf_seq, path=path)
    return True


def session_head_announce(*, session: Session) -> None:
    """After the commit: the session's tabs hear of its new head, its owner's of its activity."""
    live.publish_after_commit(
        [
            (
                events.session_group(session.pk),
                events.session_head(session=session),
            ),
            (
                live.user_group(session.user_id),
                events.session_activity(session=session),
            ),
        ]
    )


@transaction.atomic
def session_switch(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """Make the branch through `seq` the active one: the head becomes the newest utterance under
    it (its newest leaf). Switching to the branch already active changes nothing. ReplyBusy while a
    reply is being written in the session: it is stored at the head, so the head stays until then
    (a reply claims the session without its lock; the claim is seen here, or its message waits for
    this lock and follows the new head)."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    target = utterance_at(session=session, seq=seq)
    if ReplyInFlight.objects.filter(session=session, expires_at__gte=timezone.now()).exists():
        raise ReplyBusy
    if session_head_to_leaf(session=session, target=target):
        session_head_announce(session=session)
    return session

"""Branching edits (docs/branches.md): a user message edited, a reply readied for regeneration, a
session forked at a message."""

import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from chatproject import live
from chatproject.db.expressions import any_of
from chatproject.fixed_sql import FixedStatement
from conversation import events, inputs
from conversation.branches.head import branch_start, session_head_announce
from conversation.branches.paths import path_to, utterance_answered_by, utterance_at
from conversation.history.append import AppendResult, utterances_append_prepared, utterances_prepare
from conversation.models import Role, Session, Utterance, display_title
from conversation.sessions.create import session_create
from conversation.sessions.lookup import session_db_id, session_get_for_user


@transaction.atomic
def utterance_edit(
    *, user: User, session_id: uuid.UUID | str, seq: Any, text: Any, client_id: Any = None
) -> AppendResult:
    """Edit the user message `seq`: a new user message after the same parent, on a new branch that
    the head moves to (the old one stays, a sibling). A retry with the same client_id finds the
    edit made and changes nothing."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    prepared = utterances_prepare(
        [inputs.UtteranceIn(role=Role.USER, text=text, client_id=client_id)], field="utterance"
    )
    if prepared[0].client_id:
        existing = Utterance.objects.filter(session=session, client_id=prepared[0].client_id).first()
        if existing is not None:
            return AppendResult(session=session, utterances=[existing], created=0)
    edited = utterance_at(session=session, seq=seq)
    if edited.role != Role.USER:
        raise ValidationError({"seq": "Only your own messages can be edited; regenerate a reply instead."})
    branch_start(session=session, fork_seq=edited.parent_seq)
    session_head_announce(session=session)
    return utterances_append_prepared(user=user, session_id=session.pk, prepared=prepared, expect_stored=False)


@transaction.atomic
def utterance_regenerate_prepare(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """Ready the session for another reply in place of the assistant message `seq`: a new branch
    after the same parent, with the head on it; the reply then stored there is its sibling."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    answered = utterance_answered_by(session=session, seq=seq)
    branch_start(session=session, fork_seq=answered.seq)
    session_head_announce(session=session)
    return session


@transaction.atomic
def session_fork(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """A new session whose history is the branch up to `seq` (the way from the first utterance to
    it), copied in one statement and renumbered from 1; the original is unchanged. It is titled
    "Copy of <the original's title>", so the two never look alike in the sidebar, cut short as it is."""
    source = session_get_for_user(user=user, session_id=session_id)
    target = utterance_at(session=source, seq=seq)
    path = path_to(session=source, seq=target.seq)
    fork = session_create(user=user, persona=source.persona, title=fork_title(source.title), metadata=source.metadata)
    _fork_statement(len(path)).run(
        [session_db_id(fork.pk), session_db_id(source.pk), *(value for stretch in path for value in stretch)]
    )
    counts = dict(
        Utterance.objects.filter(session=fork, is_final=True)
        .order_by()
        .values("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    stored = Utterance.objects.filter(session=fork).count()
    fork.last_seq, fork.head_seq = stored, stored or None
    fork.user_message_count = counts.get(Role.USER, 0)
    fork.assistant_message_count = counts.get(Role.ASSISTANT, 0)
    fork.system_message_count = counts.get(Role.SYSTEM, 0)
    fork.message_count = sum(counts.values())
    fork.preview = _fork_preview(fork) if fork.user_message_count else ""
    fork.last_activity_at = timezone.now()
    fork.save(
        update_fields=[
            "last_seq",
            "head_seq",
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
            "preview",
            "last_activity_at",
        ]
    )
    live.publish_after_commit([(live.user_group(user.pk), events.session_activity(session=fork))])
    return fork


def _fork_preview(fork: Session) -> str:
    """A fork's preview: its first final user message (a fork is one branch, the path it copied)."""
    first = (
        Utterance.objects.filter(session=fork, role=Role.USER, is_final=True)
        .order_by("seq")
        .values_list("text", flat=True)
        .first()
    )
    return inputs.preview_text(first) if first else ""


# "Copy of Trip", then "Copy 2 of Trip", "Copy 3 of Trip": a fork of a fork is numbered. The mark
# leads, so that a sidebar row cutting a long title short still tells the copy from the original.
COPY_TITLE = re.compile(r"Copy(?: (?P<number>\d+))? of (?P<stem>.*)", re.DOTALL)


def fork_title(title: str) -> str:
    """The original's title (an untitled one's "New chat") marked as a copy, the original cut short
    (with "…") when both would not fit the title's length."""
    limit = settings.MAX_TITLE_CHARS
    stem = display_title(title)
    prefix = "Copy of "
    if match := COPY_TITLE.fullmatch(stem):
        stem, prefix = match["stem"], f"Copy {int(match['number'] or 1) + 1} of "
    if len(prefix) + len(stem) > limit:
        stem = inputs.text_cut(stem.removesuffix("…"), limit - len(prefix) - 1) + "…"
    return (prefix + stem)[:limit]


_FORKS: dict[int, FixedStatement] = {}

# What a fork renumbers; it copies every other column of the utterances on the path.
_FORK_PLACED = ("id", "session", "seq", "parent_seq", "branch")


def _fork_statement(stretches: int) -> FixedStatement:
    """session_fork's copy for a path of `stretches` stretches; its values, in order: the fork's id,
    the source's id, each stretch's branch and last seq."""
    if stretches not in _FORKS:  # on Django's cursor: a fork is rare, and its text varies with the path
        _FORKS[stretches] = FixedStatement(
            sql=lambda quote: _fork_sql(quote, stretches), columns=lambda: [], server_bound=False
        )
    return _FORKS[stretches]


def _fork_sql(quote, stretches: int) -> str:
    table, field = quote(Utterance._meta.db_table), Utterance._meta.get_field
    session, seq, parent_seq, branch = (quote(field(name).column) for name in _FORK_PLACED[1:])
    copied = ", ".join(quote(f.column) for f in Utterance._meta.concrete_fields if f.name not in _FORK_PLACED)
    on_path = any_of([f"({branch} = %s AND {seq} <= %s)"] * stretches)
    return f"""
        INSERT INTO {table} ({session}, {seq}, {parent_seq}, {branch}, {copied})
        SELECT %s, n, CASE WHEN n = 1 THEN NULL ELSE n - 1 END, 0, {copied}
        FROM (
            SELECT {copied}, ROW_NUMBER() OVER (ORDER BY {seq}) AS n
            FROM {table} WHERE {session} = %s AND ({on_path})
        ) copied
    """  # noqa: S608 - names from the models; every value is a parameter

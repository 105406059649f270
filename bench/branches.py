"""Branches benchmark (issue 18): a session of 20,000 utterances with 200 edits spread along it,
beside a linear session of the same length, in the same run.

Each operation is measured three ways, in turns: the services and selectors on the branched
session, raw psycopg doing the same work on it (the statements a careful hand would write for the
same result, reading a path's stretches as ours do), and the services on the linear session.
Targets: at most 3x the raw time, and within 1.5x of the linear session's figure.

- history page of 50, newest and 100 pages deep: the session, the page of its active branch and
  (branched) the page's siblings;
- context window from the database: the last 20 final utterances of the active branch;
- switch: to the other one of two sibling messages near the head and back. The linear session
  has nothing to switch to, so its figure is the same switch after one edit of its last message:
  what a switch costs in a session of the same length with one alternative;
- edit: the newest user message edited, again and again (a new branch at the same place each
  time); the linear session's figure is the same edits of its own newest user message.
"""

import os
import uuid

import psycopg
from psycopg.types.json import Jsonb

from bench.harness import median_of_3, print_table, rate, setup_django

LENGTH, EDITS, PAGE = 20_000, 200, 50
BLOCK = LENGTH // EDITS  # utterances per stretch between two edits


def main() -> None:
    setup_django()
    from django.conf import settings

    from accounts.models import User
    from conversation.branches.edits import utterance_edit
    from conversation.branches.head import session_switch
    from conversation.branches.paths import active_path_filter, path_stretches
    from conversation.context import context_window_rebuild
    from conversation.history.append import utterances_append
    from conversation.history.pages import utterance_page
    from conversation.inputs import UtteranceIn
    from conversation.models import Session, SessionBranch, Utterance
    from conversation.sessions.create import session_create

    dsn = os.environ["DATABASE_URL"]
    user = User.objects.create_user(email=f"branches-{uuid.uuid4().hex[:8]}@example.com")

    def turns(count: int, start: int) -> list:
        return [
            UtteranceIn(role="user" if n % 2 == 0 else "assistant", text=f"message {n} " + "words " * 15)
            for n in range(start, start + count)
        ]

    print(f"Building a linear session and a branched one of {LENGTH:,} utterances ...", flush=True)
    linear = session_create(user=user, title="linear")
    for start in range(0, LENGTH, 500):
        utterances_append(user=user, session_id=linear.pk, utterances=turns(500, start))
    branched = session_create(user=user, title="branched")
    for block in range(EDITS):
        # BLOCK - 2 turns, then the last user message edited and answered again: 2 stored utterances
        # leave the active branch at each edit, siblings of the ones that replace them.
        utterances_append(user=user, session_id=branched.pk, utterances=turns(BLOCK - 2, block * BLOCK))
        last_user = Session.objects.get(pk=branched.pk).last_seq - 1
        utterance_edit(user=user, session_id=branched.pk, seq=last_user, text=f"edit {block}")
        utterances_append(user=user, session_id=branched.pk, utterances=turns(1, 1))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE conversation_utterance")
        conn.execute("VACUUM ANALYZE conversation_session")
        conn.execute("VACUUM ANALYZE conversation_sessionbranch")
        # Benchmarks run before this one load a million rows: their writes are flushed now, not
        # by a checkpoint in the middle of a measurement.
        conn.execute("CHECKPOINT")
    linear = Session.objects.get(pk=linear.pk)
    branched = Session.objects.get(pk=branched.pk)
    stored = Utterance.objects.filter(session=branched).count()
    assert stored == LENGTH, stored
    assert SessionBranch.objects.filter(session=branched).count() == EDITS
    active = list(
        Utterance.objects.filter(active_path_filter(branched.branch_path), session=branched)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    print(f"branched: {stored:,} stored, {len(active):,} on the active branch, {EDITS} branches", flush=True)

    conn = psycopg.connect(dsn, autocommit=True)
    branched_id = str(branched.pk)

    def stretches_sql(stretches) -> tuple[str, list]:
        terms, values = [], []
        for stretch in stretches:
            terms.append("(branch = %s AND seq > %s" + (" AND seq <= %s)" if stretch.upto is not None else ")"))
            values += [stretch.branch, stretch.after] + ([stretch.upto] if stretch.upto is not None else [])
        return "(" + " OR ".join(terms) + ")", values

    def raw_path_rows(session_id: str, branch_path: list, *, columns: str, below: int, limit: int) -> list:
        """The newest `limit` finals below `below` on the path, a stretch or two at a time (as a hand
        that knows the stretches' seqs are disjoint would read them)."""
        stretches = list(path_stretches(branch_path, below=below))
        rows, start, batch = [], 0, 2
        while start < len(stretches) and len(rows) < limit:
            condition, values = stretches_sql(stretches[start : start + batch])
            rows += conn.execute(
                f"SELECT {columns} FROM conversation_utterance WHERE session_id = %s AND is_final AND seq < %s"
                f" AND {condition} ORDER BY seq DESC LIMIT %s",
                [session_id, below, *values, limit - len(rows)],
            ).fetchall()
            start, batch = start + batch, batch * 2
        return rows

    # --- history pages -----------------------------------------------------------------------
    page_columns = "seq, parent_seq, role, text, is_final, client_id, created_at, metadata"

    def raw_page(before: int):
        def run():
            (branch_path,) = conn.execute(
                "SELECT branch_path FROM conversation_session WHERE id = %s AND user_id = %s AND deleted_at IS NULL",
                (branched_id, user.pk),
            ).fetchone()
            rows = raw_path_rows(branched_id, branch_path, columns=page_columns, below=before, limit=PAGE + 1)
            parents = list({row[1] for row in rows if row[1] is not None})
            conn.execute(
                "SELECT parent_seq, seq FROM conversation_utterance WHERE session_id = %s AND parent_seq = ANY(%s)"
                " ORDER BY seq",
                (branched_id, parents),
            ).fetchall()
            return rows

        return run

    def our_page(session: Session, before: int | None):
        return lambda: utterance_page(user=user, session_id=session.pk, before=before, limit=PAGE)

    results = []

    def measure(name: str, ours, raw, linear_ours) -> None:
        figures = [median_of_3(lambda fn=fn: rate(fn, seconds=1.5)) for fn in (ours, raw, linear_ours)]
        results.append((name, *figures))
        print(f"  {name}: {figures[0]:,.0f} /s, raw {figures[1]:,.0f} /s, linear {figures[2]:,.0f} /s", flush=True)

    deep_branched = active[-PAGE * 100]
    deep_linear = LENGTH - PAGE * 100 + 1
    measure("history page of 50, newest", our_page(branched, None), raw_page(LENGTH + 1), our_page(linear, None))
    measure(
        "history page of 50, 100 pages deep",
        our_page(branched, deep_branched),
        raw_page(deep_branched),
        our_page(linear, deep_linear),
    )

    # --- context window from the database -------------------------------------------------------
    def raw_window():
        _, last_seq, branch_path = conn.execute(
            "SELECT context_epoch, last_seq, branch_path FROM conversation_session WHERE id = %s", (branched_id,)
        ).fetchone()
        return raw_path_rows(
            branched_id, branch_path, columns="role, text, seq", below=last_seq + 1, limit=settings.CONTEXT_WINDOW_SIZE
        )

    measure(
        "context window from the database (20)",
        lambda: context_window_rebuild(session_id=branched.pk),
        raw_window,
        lambda: context_window_rebuild(session_id=linear.pk),
    )

    # --- switch ------------------------------------------------------------------------------
    # The newest edit's two user messages: the one replaced and its replacement.
    edited_parent = Utterance.objects.get(session=branched, seq=active[-2]).parent_seq
    replaced, replacement = (
        Utterance.objects.filter(session=branched, parent_seq=edited_parent)
        .order_by("seq")
        .values_list("seq", flat=True)
    )

    def flipper(first: int, second: int):
        """first, second, first, ...: each call the other one of two sibling messages."""
        state = {"to": first}

        def next_target() -> int:
            target = state["to"]
            state["to"] = second if target == first else first
            return target

        return next_target

    our_next, raw_next = flipper(replaced, replacement), flipper(replaced, replacement)

    def raw_counts(branch_path: list, after: int) -> dict:
        stretches = list(path_stretches(branch_path, above=after))
        condition, values = stretches_sql(stretches)
        return dict(
            conn.execute(
                f"SELECT role, count(*) FROM conversation_utterance WHERE session_id = %s AND is_final AND seq > %s"
                f" AND {condition} GROUP BY role",
                [branched_id, after, *values],
            ).fetchall()
        )

    def raw_head_move(state: tuple, branch: int, seq: int, path: list) -> None:
        """The counts of the new active branch from the old ones and what lies past the last
        utterance both share, then the session updated."""
        head_seq, head_branch, branch_path, users, assistants, systems = state
        old_path, new_path = branch_path or [[head_branch, None]], [[branch, None], *path]
        tops = {b: head_seq if top is None else top for b, top in old_path}
        shared = max(
            [min(tops[b], seq if top is None else top) for b, top in new_path if tops.get(b) is not None] or [0]
        )
        counts = {"user": users, "assistant": assistants, "system": systems}
        for sign, way in ((-1, old_path), (1, new_path)):
            for role, n in raw_counts(way, shared).items():
                counts[role] += sign * n
        conn.execute(
            "UPDATE conversation_session SET head_seq = %s, head_branch = %s, branch_path = %s,"
            " context_epoch = context_epoch + 1, message_count = %s, user_message_count = %s,"
            " assistant_message_count = %s, system_message_count = %s WHERE id = %s",
            (
                seq,
                branch,
                Jsonb(new_path),
                sum(counts.values()),
                counts["user"],
                counts["assistant"],
                counts["system"],
                branched_id,
            ),
        )

    session_state = (
        "SELECT head_seq, head_branch, branch_path, user_message_count, assistant_message_count,"
        " system_message_count FROM conversation_session WHERE id = %s AND user_id = %s FOR UPDATE"
    )

    def raw_switch():
        """The same work by hand: the session locked, the message, the branches under it, the newest
        leaf there, its branch's path, the counts, the session updated."""
        target_seq = raw_next()
        with conn.transaction():
            state = conn.execute(session_state, (branched_id, user.pk)).fetchone()
            (target_branch,) = conn.execute(
                "SELECT branch FROM conversation_utterance WHERE session_id = %s AND seq = %s",
                (branched_id, target_seq),
            ).fetchone()
            conn.execute(
                "SELECT 1 FROM conversation_replyinflight WHERE session_id = %s AND expires_at >= now()",
                (branched_id,),
            ).fetchone()
            branches = conn.execute(
                "SELECT number, fork_seq, path -> 0 -> 0 FROM conversation_sessionbranch WHERE session_id = %s",
                (branched_id,),
            ).fetchall()
            under, grew = {target_branch}, True
            while grew:
                grew = False
                for number, fork_seq, parent in branches:
                    if number not in under and parent in under and (parent != target_branch or fork_seq >= target_seq):
                        under.add(number)
                        grew = True
            leaf_seq, leaf_branch = conn.execute(
                "SELECT seq, branch FROM conversation_utterance WHERE session_id = %s AND branch = ANY(%s)"
                " AND seq >= %s ORDER BY seq DESC LIMIT 1",
                (branched_id, list(under), target_seq),
            ).fetchone()
            (path,) = conn.execute(
                "SELECT path FROM conversation_sessionbranch WHERE session_id = %s AND number = %s",
                (branched_id, leaf_branch),
            ).fetchone()
            raw_head_move(state, leaf_branch, leaf_seq, path)

    # The linear session's one alternative: its last user message edited once.
    linear_last_user = linear.last_seq - 1
    utterance_edit(user=user, session_id=linear.pk, seq=linear_last_user, text="edited")
    linear_next = flipper(linear_last_user, linear.last_seq + 1)

    def linear_switch():
        session_switch(user=user, session_id=linear.pk, seq=linear_next())

    measure(
        "switch",
        lambda: session_switch(user=user, session_id=branched.pk, seq=our_next()),
        raw_switch,
        linear_switch,
    )

    # --- edit --------------------------------------------------------------------------------
    # The newest user message edited, again and again: each edit is a new branch at the same fork
    # point (the same length of active branch), and a new sibling.
    def newest_user_message(session: Session) -> int:
        head = Session.objects.values_list("head_seq", flat=True).get(pk=session.pk)
        role, parent = Utterance.objects.values_list("role", "parent_seq").get(session=session, seq=head)
        return head if role == "user" else parent

    def our_edit(session: Session):
        def run():
            target = newest_user_message(session)
            utterance_edit(user=user, session_id=session.pk, seq=target, text="edited once more")

        return run

    def raw_edit():
        """The same work by hand: the session locked, the message, a branch numbered and its way to
        the root, the counts moved, the session updated, then the message appended at the head."""
        with conn.transaction():
            state = conn.execute(session_state, (branched_id, user.pk)).fetchone()
            target = newest_user_message(branched)
            fork_seq, role = conn.execute(
                "SELECT parent_seq, role FROM conversation_utterance WHERE session_id = %s AND seq = %s",
                (branched_id, target),
            ).fetchone()
            assert role == "user"
            (fork_branch,) = conn.execute(
                "SELECT branch FROM conversation_utterance WHERE session_id = %s AND seq = %s", (branched_id, fork_seq)
            ).fetchone()
            (ancestors,) = conn.execute(
                "SELECT path FROM conversation_sessionbranch WHERE session_id = %s AND number = %s",
                (branched_id, fork_branch),
            ).fetchone()
            (number,) = conn.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM conversation_sessionbranch WHERE session_id = %s",
                (branched_id,),
            ).fetchone()
            path = [[fork_branch, fork_seq], *ancestors]
            conn.execute(
                "INSERT INTO conversation_sessionbranch (session_id, number, fork_seq, path) VALUES (%s, %s, %s, %s)",
                (branched_id, number, fork_seq, Jsonb(path)),
            )
            raw_head_move(state, number, fork_seq, path)
            (seq,) = conn.execute(
                "UPDATE conversation_session SET last_seq = last_seq + 1, head_seq = last_seq + 1,"
                " message_count = message_count + 1, user_message_count = user_message_count + 1,"
                " last_activity_at = now() WHERE id = %s RETURNING last_seq",
                (branched_id,),
            ).fetchone()
            conn.execute(
                "INSERT INTO conversation_utterance (session_id, user_id, seq, parent_seq, branch, role, text,"
                " is_final, created_at, metadata) VALUES (%s, %s, %s, %s, %s, 'user', %s, true, now(), '{}')",
                (branched_id, user.pk, seq, fork_seq, number, "edited once more"),
            )

    measure("edit", our_edit(branched), raw_edit, our_edit(linear))
    branches_after = SessionBranch.objects.filter(session=branched).count()
    print(f"branched: {branches_after:,} branches after the edits measured", flush=True)

    print_table(
        f"Branches benchmark: {LENGTH:,} utterances with {EDITS} edits beside a linear session",
        ["operation", "branched", "raw SQL", "raw/ours", "linear", "linear/branched", "met"],
        [
            [
                name,
                f"{ours:,.0f} /s",
                f"{raw:,.0f} /s",
                f"{raw / ours:.2f}x",
                f"{linear_ours:,.0f} /s",
                f"{linear_ours / ours:.2f}x",
                "yes" if raw / ours <= 3 and linear_ours / ours <= 1.5 else "NO",
            ]
            for name, ours, raw, linear_ours in results
        ],
    )

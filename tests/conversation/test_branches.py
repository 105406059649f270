"""The tree of a session (docs/branches.md): edit, regenerate, switch, fork, clear, through the services."""

import contextlib
import random
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversation import context
from conversation.branches.edits import session_fork, utterance_edit, utterance_regenerate_prepare
from conversation.branches.head import session_switch
from conversation.branches.paths import active_path_filter
from conversation.history.pages import utterance_page
from conversation.inputs import text_cut
from conversation.models import ReplyInFlight, Session, SessionBranch, Utterance
from conversation.replies.claim import ReplyBusy
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_clear
from tests.helpers import say


def history(user, session) -> list[str]:
    page = utterance_page(user=user, session_id=session.pk, limit=200)
    return [row.text for row in page.utterances]


def fresh(session) -> Session:
    return Session.objects.get(pk=session.pk)


@pytest.fixture
def chat(owner):
    """Q1 A1 Q2 A2, seqs 1 to 4."""
    session = session_create(user=owner)
    say(owner, session, "Q1")
    say(owner, session, "A1", role="assistant")
    say(owner, session, "Q2")
    say(owner, session, "A2", role="assistant")
    return session


def test_appends_form_a_chain_and_move_the_head(owner, chat):
    rows = list(Utterance.objects.filter(session=chat).order_by("seq").values_list("seq", "parent_seq", "branch"))
    assert rows == [(1, None, 0), (2, 1, 0), (3, 2, 0), (4, 3, 0)]
    session = fresh(chat)
    assert (session.head_seq, session.head_branch, session.branch_path) == (4, 0, [])


def test_editing_a_message_makes_a_sibling_on_a_new_branch_that_becomes_active(owner, chat):
    result = utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 better", client_id="e1")
    edited = result.utterances[0]
    assert (edited.seq, edited.parent_seq, edited.branch) == (5, 2, 1)
    say(owner, chat, "A2 better", role="assistant")

    assert history(owner, chat) == ["Q1", "A1", "Q2 better", "A2 better"]
    session = fresh(chat)
    assert (session.head_seq, session.head_branch) == (6, 1)
    assert (session.message_count, session.user_message_count, session.assistant_message_count) == (4, 2, 2)
    assert Utterance.objects.filter(session=chat).count() == 6  # the first answer is kept


def test_editing_the_first_message_starts_a_branch_at_the_root(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=1, text="Q1 again")
    assert history(owner, chat) == ["Q1 again"]
    assert Utterance.objects.get(session=chat, seq=5).parent_seq is None


def test_regenerating_a_reply_adds_a_sibling_reply(owner, chat):
    utterance_regenerate_prepare(user=owner, session_id=chat.pk, seq=4)
    assert history(owner, chat) == ["Q1", "A1", "Q2"]
    say(owner, chat, "A2 take two", role="assistant")
    assert history(owner, chat) == ["Q1", "A1", "Q2", "A2 take two"]
    assert Utterance.objects.get(session=chat, seq=5).parent_seq == 3


def test_switching_goes_to_the_newest_leaf_under_the_chosen_message(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 better")  # seq 5
    say(owner, chat, "A2 better", role="assistant")  # seq 6

    session_switch(user=owner, session_id=chat.pk, seq=4)
    assert history(owner, chat) == ["Q1", "A1", "Q2", "A2"]
    assert fresh(chat).head_seq == 4
    say(owner, chat, "Q3 on the first branch")  # extends the branch switched to
    assert history(owner, chat) == ["Q1", "A1", "Q2", "A2", "Q3 on the first branch"]

    session_switch(user=owner, session_id=chat.pk, seq=2)  # the fork point: its newest leaf
    assert history(owner, chat) == ["Q1", "A1", "Q2", "A2", "Q3 on the first branch"]
    session_switch(user=owner, session_id=chat.pk, seq=5)
    assert history(owner, chat) == ["Q1", "A1", "Q2 better", "A2 better"]
    session = fresh(chat)
    assert (session.message_count, session.user_message_count) == (4, 2)


def test_a_switch_waits_for_the_reply_being_written_which_lands_at_the_head(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")
    ReplyInFlight.objects.create(session=chat, client_id="m", expires_at=timezone.now() + timedelta(minutes=1))
    with pytest.raises(ReplyBusy):
        session_switch(user=owner, session_id=chat.pk, seq=4)
    assert fresh(chat).head_seq == 5
    ReplyInFlight.objects.filter(session=chat).update(expires_at=timezone.now() - timedelta(seconds=1))
    session_switch(user=owner, session_id=chat.pk, seq=4)  # a claim its process left behind
    assert fresh(chat).head_seq == 4


def test_branches_of_branches_keep_their_whole_way_to_the_root(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")  # 5, branch 1
    say(owner, chat, "A2 b", role="assistant")  # 6
    say(owner, chat, "Q3 b")  # 7
    utterance_regenerate_prepare(user=owner, session_id=chat.pk, seq=6)  # branch 2 after 5
    say(owner, chat, "A2 c", role="assistant")  # 8
    assert history(owner, chat) == ["Q1", "A1", "Q2 b", "A2 c"]
    assert SessionBranch.objects.get(session=chat, number=2).path == [[1, 5], [0, 2]]
    session_switch(user=owner, session_id=chat.pk, seq=7)
    assert history(owner, chat) == ["Q1", "A1", "Q2 b", "A2 b", "Q3 b"]


def test_history_pages_follow_the_active_branch(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")
    page = utterance_page(user=owner, session_id=chat.pk, limit=2)
    assert [row.seq for row in page.utterances] == [2, 5]
    assert page.has_before
    older = utterance_page(user=owner, session_id=chat.pk, before=2, limit=2)
    assert [row.seq for row in older.utterances] == [1]
    assert older.has_after


def test_the_context_window_is_the_active_branchs_cached_or_rebuilt(owner, chat):
    def window() -> tuple[list[str], bool]:
        got = context.context_window_get(session=fresh(chat))
        return [m["text"] for m in got.messages], got.cached

    assert window() == (["Q1", "A1", "Q2", "A2"], False)
    assert window() == (["Q1", "A1", "Q2", "A2"], True)
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")
    assert window() == (["Q1", "A1", "Q2 b"], False)
    assert window() == (["Q1", "A1", "Q2 b"], True)
    session_switch(user=owner, session_id=chat.pk, seq=4)
    assert window() == (["Q1", "A1", "Q2", "A2"], False)


def test_forking_copies_the_branch_up_to_the_message_into_a_new_chat(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")  # 5
    fork = session_fork(user=owner, session_id=chat.pk, seq=5)
    assert history(owner, fork) == ["Q1", "A1", "Q2 b"]
    rows = list(Utterance.objects.filter(session=fork).order_by("seq").values_list("seq", "parent_seq", "branch"))
    assert rows == [(1, None, 0), (2, 1, 0), (3, 2, 0)]
    fork = fresh(fork)
    assert (fork.last_seq, fork.head_seq, fork.message_count, fork.user_message_count) == (3, 3, 3, 2)
    say(owner, fork, "continues")
    assert history(owner, fork) == ["Q1", "A1", "Q2 b", "continues"]
    assert history(owner, chat) == ["Q1", "A1", "Q2 b"]  # the original is unchanged


def test_a_fork_is_titled_as_a_copy_of_the_original(owner, chat):
    session_update(user=owner, session_id=chat.pk, title="Trip plans")
    assert session_fork(user=owner, session_id=chat.pk, seq=2).title == "Copy of Trip plans"


def test_a_fork_of_an_untitled_chat_is_a_copy_of_a_new_chat(owner):
    untitled = session_create(user=owner)
    say(owner, untitled, "A1", role="assistant")  # no user message: no automatic title
    assert fresh(untitled).title == ""
    assert session_fork(user=owner, session_id=untitled.pk, seq=1).title == "Copy of New chat"


def test_a_long_title_is_cut_so_that_the_copy_suffix_fits(owner, chat, settings):
    session_update(user=owner, session_id=chat.pk, title="x" * settings.MAX_TITLE_CHARS)
    title = session_fork(user=owner, session_id=chat.pk, seq=2).title
    assert len(title) == settings.MAX_TITLE_CHARS
    assert title == "Copy of " + "x" * (settings.MAX_TITLE_CHARS - len("Copy of …")) + "…"


def test_a_fork_of_a_fork_is_numbered_rather_than_suffixed_again(owner, chat):
    session_update(user=owner, session_id=chat.pk, title="Trip plans")
    first = session_fork(user=owner, session_id=chat.pk, seq=2)
    second = session_fork(user=owner, session_id=first.pk, seq=2)
    third = session_fork(user=owner, session_id=second.pk, seq=2)
    assert [first.title, second.title, third.title] == [
        "Copy of Trip plans",
        "Copy 2 of Trip plans",
        "Copy 3 of Trip plans",
    ]


def test_forks_of_a_long_title_stay_distinct(owner, chat, settings):
    session_update(user=owner, session_id=chat.pk, title="m" * settings.MAX_TITLE_CHARS)
    first = session_fork(user=owner, session_id=chat.pk, seq=2)
    second = session_fork(user=owner, session_id=first.pk, seq=2)
    assert first.title == "Copy of " + "m" * (settings.MAX_TITLE_CHARS - len("Copy of …")) + "…"
    assert second.title == "Copy 2 of " + "m" * (settings.MAX_TITLE_CHARS - len("Copy 2 of …")) + "…"


@pytest.mark.parametrize(
    ("text", "length", "kept"),
    [
        ("ab" + "\U0001f468\u200d\U0001f469\u200d\U0001f467" + "zz", 6, "ab"),  # a family emoji is not split
        ("abc" + "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 6, "abc\U0001f1eb\U0001f1f7"),  # nor a flag
        ("cafe\u0301s", 4, "caf"),  # nor an accented letter
        ("abcd\u0915\u093f\u0924\u093e\u092c", 5, "abcd"),  # nor a Devanagari letter and its vowel sign
        ("abcd\u0628\u0650\u0633\u0652", 5, "abcd"),  # nor an Arabic letter and its vowel point
        ("abcd\u1100\u1161\u11a8xyz", 5, "abcd"),  # nor a Hangul syllable's jamo
        ("plain words", 6, "plain"),
        ("short", 6, "short"),
    ],
)
def test_a_cut_title_keeps_whole_letters_and_emoji(text, length, kept):
    assert text_cut(text, length) == kept


def test_clearing_removes_every_branch(owner, chat):
    utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b")
    session_clear(user=owner, session_id=chat.pk)
    assert not Utterance.objects.filter(session=chat).exists()
    assert not SessionBranch.objects.filter(session=chat).exists()
    say(owner, chat, "fresh start")
    row = Utterance.objects.get(session=chat)
    assert (row.seq, row.parent_seq, row.branch) == (6, None, 0)
    assert history(owner, chat) == ["fresh start"]


def test_an_edit_sent_again_with_its_client_id_changes_nothing(owner, chat):
    first = utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b", client_id="edit-1")
    again = utterance_edit(user=owner, session_id=chat.pk, seq=3, text="Q2 b", client_id="edit-1")
    assert (again.created, again.utterances[0].pk) == (0, first.utterances[0].pk)
    assert SessionBranch.objects.filter(session=chat).count() == 1


@pytest.mark.parametrize(
    ("action", "seq", "message"),
    [
        ("edit", 2, "Only your own messages can be edited"),
        ("regenerate", 1, "Only a reply can be regenerated"),
        ("edit", 99, "This chat has no message 99."),
        ("switch", "x", "whole number"),
    ],
)
def test_a_bad_seq_is_refused_and_changes_nothing(owner, chat, action, seq, message):
    call = {
        "edit": lambda: utterance_edit(user=owner, session_id=chat.pk, seq=seq, text="t"),
        "regenerate": lambda: utterance_regenerate_prepare(user=owner, session_id=chat.pk, seq=seq),
        "switch": lambda: session_switch(user=owner, session_id=chat.pk, seq=seq),
    }[action]
    with pytest.raises(ValidationError) as caught:
        call()
    assert message in str(caught.value)
    assert fresh(chat).head_seq == 4
    assert not SessionBranch.objects.exists()


def test_another_users_session_is_not_found(outsider, chat):
    for call in (
        lambda: utterance_edit(user=outsider, session_id=chat.pk, seq=3, text="t"),
        lambda: session_switch(user=outsider, session_id=chat.pk, seq=1),
        lambda: session_fork(user=outsider, session_id=chat.pk, seq=1),
    ):
        with pytest.raises(Session.DoesNotExist):
            call()


def test_a_history_page_makes_the_same_queries_for_one_branch_or_many(owner, chat, django_assert_num_queries):
    with django_assert_num_queries(2):
        utterance_page(user=owner, session_id=chat.pk, limit=50)
    for n in range(10):
        utterance_edit(user=owner, session_id=chat.pk, seq=3, text=f"Q2 v{n}")
        say(owner, chat, f"A2 v{n}", role="assistant")
    with django_assert_num_queries(2):  # the siblings come with the page
        page = utterance_page(user=owner, session_id=chat.pk, limit=50)
    assert [row.text for row in page.utterances] == ["Q1", "A1", "Q2 v9", "A2 v9"]
    edited = page.utterances[2]
    assert page.siblings_of(edited) == {"count": 11, "index": 11, "prev": edited.seq - 2, "next": None}
    assert page.siblings_of(page.utterances[0]) == {"count": 1, "index": 1, "prev": None, "next": None}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appends_and_an_edit_at_once_leave_one_consistent_tree(owner):
    session = session_create(user=owner)
    say(owner, session, "Q1")
    say(owner, session, "A1", role="assistant")
    errors = []

    def appender(n: int) -> None:
        try:
            for k in range(10):
                say(owner, session, f"tab {n} message {k}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def editor() -> None:
        try:
            utterance_edit(user=owner, session_id=session.pk, seq=1, text="Q1 edited")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(2)] + [threading.Thread(target=editor)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = {
        seq: (parent, branch, text)
        for seq, parent, branch, text in Utterance.objects.filter(session=session).values_list(
            "seq", "parent_seq", "branch", "text"
        )
    }
    assert sorted(rows) == list(range(1, 24))  # 2 + 20 appends + 1 edit, each seq once
    texts = [text for _, _, text in rows.values()]
    assert len(set(texts)) == len(texts)  # nothing stored twice
    for seq, (parent, branch, _) in rows.items():  # each follows an earlier one: its branch's, or the fork
        assert parent is None or (parent < seq and (rows[parent][1] == branch or branch == 1))
    # The page shows exactly the way from the head up to the root.
    way, seq = [], fresh(session).head_seq
    while seq is not None:
        way.append(rows[seq][2])
        seq = rows[seq][0]
    assert history(owner, session) == way[::-1]


def test_pages_windows_and_counts_agree_with_the_whole_path_through_random_edits_and_switches(owner, settings):
    """Pages read a stretch or two at a time and a move of the head counts only what changed: after
    each of many random operations, every page, the window and the counts are those of the whole
    active branch read at once."""
    settings.CONTEXT_WINDOW_SIZE = 4
    rng = random.Random(18)
    session = session_create(user=owner)
    for step in range(120):
        session = fresh(session)
        seqs = list(Utterance.objects.filter(session=session).values_list("seq", "role"))
        action = rng.random()
        if not seqs or action < 0.45:
            say(owner, session, f"turn {step}", role=rng.choice(["user", "assistant"]), is_final=rng.random() > 0.1)
        elif action < 0.65 and any(role == "user" for _, role in seqs):
            seq = rng.choice([s for s, role in seqs if role == "user"])
            utterance_edit(user=owner, session_id=session.pk, seq=seq, text=f"edit {step}")
        elif action < 0.75 and any(role == "assistant" for _, role in seqs):
            seq = rng.choice([s for s, role in seqs if role == "assistant"])
            with contextlib.suppress(ValidationError):  # a reply that answers nothing
                utterance_regenerate_prepare(user=owner, session_id=session.pk, seq=seq)
        else:
            session_switch(user=owner, session_id=session.pk, seq=rng.choice(seqs)[0])

        session = fresh(session)
        whole = list(
            Utterance.objects.filter(active_path_filter(session.branch_path), session=session)
            .order_by("seq")
            .values_list("seq", "role", "is_final")
        )
        finals = [(seq, role) for seq, role, final in whole if final]
        assert session.message_count == len(finals)
        assert session.user_message_count == sum(1 for _, role in finals if role == "user")
        assert session.assistant_message_count == sum(1 for _, role in finals if role == "assistant")

        paged, before = [], None
        while True:
            page = utterance_page(user=owner, session_id=session.pk, before=before, limit=3)
            paged = [u.seq for u in page.utterances] + paged
            if not page.has_before:
                break
            before = page.utterances[0].seq
        assert paged == [seq for seq, _ in finals]
        forward, after = [], 0
        while True:
            page = utterance_page(user=owner, session_id=session.pk, after=after, limit=3)
            forward += [u.seq for u in page.utterances]
            if not page.has_after:
                break
            after = page.utterances[-1].seq
        assert forward == [seq for seq, _ in finals]
        assert [m["seq"] for m in context.context_window_rebuild(session_id=session.pk)[2]] == [
            seq for seq, _ in finals[-4:]
        ]


def test_a_switch_and_an_edit_make_the_same_queries_for_two_branches_or_twenty(owner, chat):
    def queries_of(action) -> int:
        with CaptureQueriesContext(connection) as captured:
            action()
        return len(captured)

    def measure() -> tuple[int, int]:
        session = fresh(chat)
        head_user = Utterance.objects.filter(session=chat, seq=session.head_seq).values_list("parent_seq", flat=True)
        edit = queries_of(lambda: utterance_edit(user=owner, session_id=chat.pk, seq=head_user.get(), text="again"))
        say(owner, chat, "answer", role="assistant")
        newest_two = Utterance.objects.filter(session=chat, role="user").order_by("-seq").values_list("seq", flat=True)
        switch = queries_of(lambda: session_switch(user=owner, session_id=chat.pk, seq=newest_two[1]))
        session_switch(user=owner, session_id=chat.pk, seq=newest_two[0])
        return edit, switch

    first = measure()
    for _ in range(18):
        measure()
    assert SessionBranch.objects.filter(session=chat).count() == 19
    assert measure() == first

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction

from conversation.models import Session, SessionTag, Tag
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from conversation.tags.services import session_tags_set, sessions_tag, sessions_untag, tag_delete, tag_rename
from tests.factories import UserFactory


def exact(*sessions) -> None:
    """Each session's tag_names is exactly its SessionTag rows' names, sorted in any case."""
    for session in sessions:
        stored = Session.objects.get(pk=session.pk).tag_names
        linked = SessionTag.objects.filter(session_id=session.pk).values_list("tag__name", flat=True)
        assert stored == sorted(linked, key=lambda name: (name.casefold(), name))


def names_of(session) -> list[str]:
    return Session.objects.get(pk=session.pk).tag_names


def test_tagging_makes_the_tags_and_sorts_the_names_in_any_case(owner):
    a, b = session_create(user=owner), session_create(user=owner)
    result = sessions_tag(user=owner, session_ids=[a.pk, str(b.pk)], names=["work", "Alpha", " beta  two "])
    assert (result.done, result.not_found) == (2, [])
    assert names_of(a) == names_of(b) == ["Alpha", "beta two", "work"]
    assert sorted(Tag.objects.filter(user=owner).values_list("name", flat=True)) == ["Alpha", "beta two", "work"]
    exact(a, b)


def test_a_name_in_another_case_is_the_existing_tag_in_its_spelling(owner):
    a, b = session_create(user=owner), session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["Work"])
    sessions_tag(user=owner, session_ids=[b.pk], names=["WORK", "work"])
    assert Tag.objects.filter(user=owner).count() == 1
    assert names_of(b) == ["Work"]
    exact(a, b)


def test_tagging_twice_is_done_once(owner):
    a = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["x"])
    sessions_tag(user=owner, session_ids=[a.pk], names=["x", "y"])
    assert names_of(a) == ["x", "y"]
    assert SessionTag.objects.filter(session_id=a.pk).count() == 2


def test_another_users_trashed_and_malformed_sessions_are_not_found_and_untouched(owner, outsider):
    mine, trashed, theirs = session_create(user=owner), session_create(user=owner), session_create(user=outsider)
    session_trash(user=owner, session_id=trashed.pk)
    result = sessions_tag(user=owner, session_ids=[mine.pk, trashed.pk, theirs.pk, "nope"], names=["t"])
    assert result.done == 1
    assert set(result.not_found) == {str(trashed.pk), str(theirs.pk), "nope"}
    assert names_of(theirs) == names_of(trashed) == []
    assert not Tag.objects.filter(user=outsider).exists()


def test_untag_takes_only_the_named_tags_off_and_keeps_the_tag(owner):
    a, b = session_create(user=owner), session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk, b.pk], names=["x", "y"])
    result = sessions_untag(user=owner, session_ids=[a.pk], names=["X", "unknown"])
    assert result.done == 1
    assert (names_of(a), names_of(b)) == (["y"], ["x", "y"])
    assert Tag.objects.filter(user=owner, name="x").exists()
    exact(a, b)


def test_set_replaces_the_tags_and_an_empty_list_clears_them(owner):
    a = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["x", "y"])
    assert session_tags_set(user=owner, session_id=a.pk, names=["z", "y"]) == ["y", "z"]
    exact(a)
    assert session_tags_set(user=owner, session_id=str(a.pk), names=[]) == []
    exact(a)


def test_set_on_another_users_session_is_not_found(owner, outsider):
    theirs = session_create(user=outsider)
    with pytest.raises(Session.DoesNotExist):
        session_tags_set(user=owner, session_id=theirs.pk, names=["x"])
    assert not Tag.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "a,b", "two\nlines", "tab\there", "x" * 51, 7])
def test_bad_names_are_refused_and_nothing_is_written(owner, name):
    a = session_create(user=owner)
    with pytest.raises(ValidationError):
        sessions_tag(user=owner, session_ids=[a.pk], names=["good", name])
    assert not Tag.objects.exists()
    assert names_of(a) == []


def test_a_fifty_character_name_is_kept(owner):
    a = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["é" * 50])
    assert names_of(a) == ["é" * 50]


def test_more_tags_than_a_chat_may_have_are_refused_whole(owner, settings):
    settings.MAX_TAGS_PER_SESSION = 3
    a, b = session_create(user=owner), session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["1", "2"])
    with pytest.raises(ValidationError, match="at most 3 tags"):
        sessions_tag(user=owner, session_ids=[a.pk, b.pk], names=["3", "4"])
    assert (names_of(a), names_of(b)) == (["1", "2"], [])
    assert Tag.objects.count() == 2


def test_more_tags_than_a_user_may_have_are_refused(owner, settings):
    settings.MAX_TAGS = 2
    a = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["1"])
    with pytest.raises(ValidationError, match="at most 2 tags"):
        sessions_tag(user=owner, session_ids=[a.pk], names=["2", "3"])
    sessions_tag(user=owner, session_ids=[a.pk], names=["1", "2"])
    assert names_of(a) == ["1", "2"]


def test_rename_rewrites_the_names_of_every_chat_it_is_on_trashed_ones_too(owner):
    a, b, c = (session_create(user=owner) for _ in range(3))
    sessions_tag(user=owner, session_ids=[a.pk, b.pk], names=["old", "keep"])
    sessions_tag(user=owner, session_ids=[c.pk], names=["keep"])
    session_trash(user=owner, session_id=b.pk)
    tag = Tag.objects.get(name="old")
    assert tag_rename(user=owner, tag_id=tag.pk, name="Aardvark").name == "Aardvark"
    assert names_of(a) == names_of(b) == ["Aardvark", "keep"]
    assert names_of(c) == ["keep"]
    exact(a, b, c)


def test_rename_into_another_tags_name_is_refused_but_a_new_spelling_is_a_rename(owner):
    a = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk], names=["one", "two"])
    one = Tag.objects.get(name="one")
    with pytest.raises(ValidationError, match="already"):
        tag_rename(user=owner, tag_id=one.pk, name="TWO")
    tag_rename(user=owner, tag_id=one.pk, name="ONE")
    assert names_of(a) == ["ONE", "two"]


def test_another_users_tag_is_not_found(owner, outsider):
    a = session_create(user=outsider)
    sessions_tag(user=outsider, session_ids=[a.pk], names=["theirs"])
    tag = Tag.objects.get()
    for call in (
        lambda: tag_rename(user=owner, tag_id=tag.pk, name="x"),
        lambda: tag_delete(user=owner, tag_id=tag.pk),
    ):
        with pytest.raises(Tag.DoesNotExist):
            call()
    with pytest.raises(Tag.DoesNotExist):
        tag_delete(user=owner, tag_id="not-a-uuid")
    assert names_of(a) == ["theirs"]


def test_a_name_the_database_folds_into_another_tags_is_a_clear_error_not_a_500(owner):
    # "İ" lowers to "i" for PostgreSQL (the unique constraint's lower(name)) but casefolds to "i̇"
    # in Python: tagging with it, or renaming a tag to it, broke the constraint (an IntegrityError).
    chat = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[chat.pk], names=["i", "dot"])
    dot = Tag.objects.get(user=owner, name="dot")
    with connection.cursor() as cursor:
        cursor.execute("SELECT lower(%s) = 'i'", ["İ"])
        folds = cursor.fetchone()[0]  # as on PostgreSQL with a UTF-8 ctype (the suite's)
    for write in (
        lambda: sessions_tag(user=owner, session_ids=[chat.pk], names=["İ"]),
        lambda: session_tags_set(user=owner, session_id=chat.pk, names=["İ"]),
        lambda: tag_rename(user=owner, tag_id=dot.pk, name="İ"),
    ):
        if folds:
            with pytest.raises(ValidationError, match="already"):
                write()
        else:
            write()
    exact(chat)


def test_delete_takes_the_tag_off_every_chat(owner):
    a, b = session_create(user=owner), session_create(user=owner)
    sessions_tag(user=owner, session_ids=[a.pk, b.pk], names=["x", "y"])
    tag_delete(user=owner, tag_id=Tag.objects.get(name="x").pk)
    assert names_of(a) == names_of(b) == ["y"]
    exact(a, b)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_taggings_of_the_same_chats_lose_no_name_and_make_each_tag_once():
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    sessions = [session_create(user=owner) for _ in range(4)]
    ids = [s.pk for s in sessions]
    errors = []
    barrier = threading.Barrier(4)

    def tag(names, order):
        try:
            barrier.wait()
            for round_ in range(10):  # a new shared name each round: ten races to make it
                sessions_tag(user=owner, session_ids=order, names=[*names, f"round{round_}"])
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    # Threads 0 and 2 (1 and 3) share no chat: only the user's lock keeps "shared" from being made twice.
    threads = [
        threading.Thread(target=tag, args=(["shared", f"own{i}"], [ids[i], ids[(i + 1) % 4]][:: 1 if i % 2 else -1]))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Tag.objects.filter(user=owner).count() == 15
    rounds = [f"round{k}" for k in range(10)]
    assert [names_of(s) for s in sessions] == [
        ["own0", "own3", *rounds, "shared"],
        ["own0", "own1", *rounds, "shared"],
        ["own1", "own2", *rounds, "shared"],
        ["own2", "own3", *rounds, "shared"],
    ]
    exact(*sessions)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_renames_deletes_and_taggings_at_once_leave_every_chat_exact():
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    sessions = [session_create(user=owner) for _ in range(4)]
    ids = [s.pk for s in sessions]
    sessions_tag(user=owner, session_ids=ids, names=["a", "b", "c"])
    tag_a, tag_b = Tag.objects.get(name="a"), Tag.objects.get(name="b")
    errors = []
    barrier = threading.Barrier(4)

    def run(*calls):
        try:
            barrier.wait()
            for call in calls:
                call()
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=run, args=[lambda: tag_rename(user=owner, tag_id=tag_a.pk, name="renamed")]),
        threading.Thread(target=run, args=[lambda: tag_delete(user=owner, tag_id=tag_b.pk)]),
        threading.Thread(target=run, args=[lambda: sessions_tag(user=owner, session_ids=ids[::-1], names=["d"])]),
        threading.Thread(
            target=run,
            args=[
                lambda: sessions_untag(user=owner, session_ids=ids[:2], names=["c"]),
                lambda: session_tags_set(user=owner, session_id=ids[3], names=["e"]),
            ],
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [names_of(s) for s in sessions[:3]] == [["d", "renamed"], ["d", "renamed"], ["c", "d", "renamed"]]
    assert names_of(sessions[3]) in (["e"], ["d", "e"])  # "d" before or after the replacement
    exact(*sessions)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tag_writes_on_different_chats_of_a_user_take_turns():
    """Two taggings of disjoint chats both making a tag would race to insert it: the second waits
    for the user's lock, then finds the tag made."""
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    first, second = session_create(user=owner), session_create(user=owner)
    done = threading.Event()

    def tag_second():
        try:
            sessions_tag(user=owner, session_ids=[second.pk], names=["new"])
            done.set()
        finally:
            close_old_connections()

    with transaction.atomic():
        sessions_tag(user=owner, session_ids=[first.pk], names=["new"])
        thread = threading.Thread(target=tag_second)
        thread.start()
        assert not done.wait(0.5)  # held until this transaction ends
    thread.join(10)
    assert done.is_set()
    assert Tag.objects.filter(user=owner).count() == 1
    assert names_of(first) == names_of(second) == ["new"]

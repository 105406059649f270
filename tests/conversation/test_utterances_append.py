import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from tests.helpers import say


def test_it_appends_in_order_with_consecutive_seqs(owner, session):
    result = say(owner, session, "one", "two", "three")
    assert [u.seq for u in result.utterances] == [1, 2, 3]
    assert list(Utterance.objects.filter(session=session).order_by("seq").values_list("text", flat=True)) == [
        "one",
        "two",
        "three",
    ]
    assert result.created == 3
    assert result.session.last_seq == 3


def test_it_keeps_counts_by_role_exact(owner, session):
    say(owner, session, "q1", "q2")
    say(owner, session, "a1", role="assistant")
    say(owner, session, "interim", role="user", is_final=False)
    session.refresh_from_db()
    assert (session.message_count, session.user_message_count, session.assistant_message_count) == (3, 2, 1)
    assert session.last_seq == 4


def test_it_moves_last_activity_forward(owner, session):
    before = session.last_activity_at
    result = say(owner, session, "hello")
    assert result.session.last_activity_at > before


def test_it_titles_the_session_from_the_first_user_message(owner, session):
    say(owner, session, "You are a helpful bot", role="system")
    say(owner, session, "How do I bake sourdough bread at home without a proper starter culture ready?")
    say(owner, session, "And rye?")
    session.refresh_from_db()
    assert session.title == "How do I bake sourdough bread at home without a proper…"


def test_it_keeps_a_title_the_user_gave(owner):
    session = session_create(user=owner, title="Trip planning")
    say(owner, session, "Where should I go?")
    session.refresh_from_db()
    assert session.title == "Trip planning"


def test_the_same_batch_sent_three_times_is_stored_once(owner, session):
    batch = [
        UtteranceIn(role="user", text="hi", client_id="m1"),
        UtteranceIn(role="agent", text="hello", client_id="m2"),
    ]
    first = utterances_append(user=owner, session_id=session.pk, utterances=batch)
    for _ in range(2):
        again = utterances_append(user=owner, session_id=session.pk, utterances=batch)
        assert again.created == 0
        assert [u.pk for u in again.utterances] == [u.pk for u in first.utterances]
    session.refresh_from_db()
    assert (session.message_count, session.last_seq) == (2, 2)


def test_a_stored_batch_is_returned_without_writing(owner, session, assert_statements):
    batch = [UtteranceIn(role="user", text="hi", client_id="m1")]
    utterances_append(user=owner, session_id=session.pk, utterances=batch, expect_stored=True)
    with assert_statements(2):  # the look-up by client_id, the session
        again = utterances_append(user=owner, session_id=session.pk, utterances=batch, expect_stored=True)
    assert again.created == 0


def test_a_retry_first_tries_the_insert_then_finds_the_stored_rows(owner, session, assert_statements):
    batch = [UtteranceIn(role="user", text="hi", client_id="m1")]
    first = utterances_append(user=owner, session_id=session.pk, utterances=batch)
    with assert_statements(3):  # the append, rolled back by the conflict, then look-up and session
        again = utterances_append(user=owner, session_id=session.pk, utterances=batch)
    assert (again.created, again.utterances[0].pk) == (0, first.utterances[0].pk)
    session.refresh_from_db()
    assert (session.last_seq, session.message_count) == (1, 1)


def test_the_returned_utterances_are_the_stored_rows(owner, session):
    result = utterances_append(
        user=owner,
        session_id=session.pk,
        utterances=[UtteranceIn(role="user", text=f"line {n}", metadata={"n": n}) for n in range(5)],
    )
    stored = {u.pk: (u.seq, u.text, u.metadata) for u in Utterance.objects.filter(session=session).order_by("seq")}
    assert [stored[u.pk] for u in result.utterances] == [(n + 1, f"line {n}", {"n": n}) for n in range(5)]
    assert [(u.seq, u.text, u.metadata) for u in result.utterances] == list(stored.values())


def test_every_field_is_stored_exactly_as_given(owner, session):
    given = UtteranceIn(
        role="assistant",
        text='Grüße \\ "quoted" \\u0000 😀\nline two',
        is_final=False,
        client_id="c-1",
        timestamp="2026-03-01T08:30:15.654321-05:00",
        metadata={"nested": {"list": [1, 2.5, None, True]}, "ünïcode": "✓"},
    )
    (returned,) = utterances_append(user=owner, session_id=session.pk, utterances=[given]).utterances
    stored = Utterance.objects.get(pk=returned.pk)
    for utterance in (returned, stored):
        assert (utterance.role, utterance.text, utterance.is_final, utterance.client_id, utterance.metadata) == (
            "assistant",
            given.text,
            False,
            "c-1",
            given.metadata,
        )
        assert utterance.created_at == datetime(2026, 3, 1, 13, 30, 15, 654321, tzinfo=UTC)


def test_two_identical_yes_with_different_client_ids_are_both_stored(owner, session):
    say(owner, session, "yes", client_id="a")
    say(owner, session, "yes", client_id="b")
    assert Utterance.objects.filter(session=session, text="yes").count() == 2


def test_a_partly_stored_batch_stores_only_the_new_ones(owner, session):
    say(owner, session, "first", client_id="c1")
    result = utterances_append(
        user=owner,
        session_id=session.pk,
        utterances=[
            UtteranceIn(role="user", text="first", client_id="c1"),
            UtteranceIn(role="user", text="second", client_id="c2"),
        ],
    )
    assert result.created == 1
    assert [u.seq for u in result.utterances] == [1, 2]


def test_appending_is_one_statement(owner, session, assert_statements):
    with assert_statements(1):  # UPDATE ... RETURNING and INSERT in one WITH
        say(owner, session, "hello")
    with assert_statements(1):  # with a client_id too: a conflict is found by the INSERT, not looked up first
        say(owner, session, "hello", client_id="x")


def test_another_users_session_is_not_found_and_nothing_is_written(owner, outsider, session):
    with pytest.raises(Session.DoesNotExist):
        say(outsider, session, "intrusion")
    with pytest.raises(Session.DoesNotExist):
        say(outsider, session, "intrusion", client_id="c")
    assert not Utterance.objects.exists()


def test_a_malformed_or_missing_session_id_is_not_found(owner):
    with pytest.raises(Session.DoesNotExist):
        utterances_append(user=owner, session_id="not-a-uuid", utterances=[UtteranceIn(role="user", text="x")])
    with pytest.raises(Session.DoesNotExist):
        utterances_append(user=owner, session_id=uuid.uuid4(), utterances=[UtteranceIn(role="user", text="x")])


@pytest.mark.parametrize(
    ("setting", "value", "batch", "field"),
    [
        (
            "MAX_UTTERANCE_CHARS",
            5,
            [UtteranceIn(role="user", text="ok"), UtteranceIn(role="user", text="too long")],
            "utterances[1].text",
        ),
        ("MAX_BATCH_UTTERANCES", 2, [UtteranceIn(role="user", text="x")] * 3, "utterances"),
        (
            "MAX_METADATA_BYTES",
            10,
            [UtteranceIn(role="user", text="x", metadata={"k": "v" * 20})],
            "utterances[0].metadata",
        ),
    ],
)
def test_a_limit_violation_writes_nothing_of_the_batch(owner, session, settings, setting, value, batch, field):
    setattr(settings, setting, value)
    with pytest.raises(ValidationError) as caught:
        utterances_append(user=owner, session_id=session.pk, utterances=batch)
    assert field in caught.value.message_dict
    assert "limit" in caught.value.message_dict[field][0]
    session.refresh_from_db()
    assert (session.last_seq, session.message_count) == (0, 0)
    assert not Utterance.objects.exists()


def test_an_unknown_role_in_a_batch_writes_nothing(owner, session):
    with pytest.raises(ValidationError) as caught:
        utterances_append(
            user=owner,
            session_id=session.pk,
            utterances=[UtteranceIn(role="user", text="fine"), UtteranceIn(role="wizard", text="nope")],
        )
    assert "utterances[1].role" in caught.value.message_dict
    assert not Utterance.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_threads_appending_fifty_each_leave_no_gap(owner):
    session = session_create(user=owner)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                say(owner, session, f"thread {n} message {i}", client_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert list(Utterance.objects.filter(session=session).order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 401)
    )
    session.refresh_from_db()
    assert (session.message_count, session.last_seq) == (400, 400)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_client_id_sent_concurrently_is_stored_once(owner):
    session = session_create(user=owner)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            say(owner, session, "only once", client_id="same")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Utterance.objects.filter(session=session).count() == 1
    session.refresh_from_db()
    assert session.message_count == 1

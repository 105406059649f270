import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conversation.history.append import utterances_append
from conversation.history.pages import UTTERANCE_PAGE_FIELDS, plain_page_statement, utterance_page
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from tests.helpers import generic_plan_of, plan_of, say


@pytest.fixture
def history(owner, session):
    say(owner, session, *[f"m{n}" for n in range(1, 121)])
    return session


def texts(page):
    return [u.text for u in page.utterances]


def test_the_first_page_is_the_newest_oldest_first(owner, history):
    page = utterance_page(user=owner, session_id=history.pk, limit=50)
    assert texts(page) == [f"m{n}" for n in range(71, 121)]
    assert (page.has_before, page.has_after) == (True, False)


def test_before_walks_back_without_gap_or_duplicate(owner, history):
    seen, before = [], None
    while True:
        page = utterance_page(user=owner, session_id=history.pk, before=before, limit=50)
        seen = texts(page) + seen
        if not page.has_before:
            break
        before = page.utterances[0].seq
    assert seen == [f"m{n}" for n in range(1, 121)]


def test_after_walks_forward(owner, history):
    page = utterance_page(user=owner, session_id=history.pk, after=100, limit=50)
    assert texts(page) == [f"m{n}" for n in range(101, 121)]
    assert (page.has_before, page.has_after) == (True, False)


def test_interim_utterances_are_hidden_unless_asked(owner, session):
    say(owner, session, "final")
    say(owner, session, "interim", is_final=False)
    assert texts(utterance_page(user=owner, session_id=session.pk)) == ["final"]
    assert texts(utterance_page(user=owner, session_id=session.pk, include_interim=True)) == [
        "final",
        "interim",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "x"}, "limit"), ({"before": -1}, "before")],
)
def test_bad_bounds_are_validation_errors(owner, session, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        utterance_page(user=owner, session_id=session.pk, **kwargs)
    assert field in caught.value.message_dict


def test_another_users_session_is_not_found(outsider, history):
    with pytest.raises(Session.DoesNotExist):
        utterance_page(user=outsider, session_id=history.pk)


def test_it_gives_the_whole_session_with_its_persona_only_when_asked(owner, history, django_assert_num_queries):
    assert utterance_page(user=owner, session_id=history.pk).session is None
    with django_assert_num_queries(2):
        page = utterance_page(user=owner, session_id=history.pk, with_session=True)
        assert (page.session.pk, page.session.persona.slug) == (history.pk, history.persona.slug)
    with pytest.raises(Session.DoesNotExist):
        utterance_page(user=owner, session_id="not-a-uuid", with_session=True)


def test_it_makes_two_queries_at_any_depth(owner, history, django_assert_num_queries):
    with django_assert_num_queries(2):
        utterance_page(user=owner, session_id=history.pk, before=30, limit=10)
    with django_assert_num_queries(2):
        utterance_page(user=owner, session_id=history.pk, limit=200)


def test_a_character_budget_ends_a_page_early_and_the_rest_follows(owner, session):
    say(owner, session, *[f"{n}" * 40 for n in range(1, 10)])  # 9 texts of 40 characters
    newest = utterance_page(user=owner, session_id=session.pk, limit=50, max_chars=100)
    assert texts(newest) == ["8" * 40, "9" * 40]
    assert newest.has_before
    older = utterance_page(user=owner, session_id=session.pk, before=8, limit=50, max_chars=100)
    assert texts(older) == ["6" * 40, "7" * 40]
    catch_up = utterance_page(user=owner, session_id=session.pk, after=0, limit=50, max_chars=100)
    assert texts(catch_up) == ["1" * 40, "2" * 40]
    assert catch_up.has_after


def test_a_page_holds_one_utterance_even_when_it_alone_passes_the_budget(owner, session):
    say(owner, session, "a" * 500, "b" * 500)
    page = utterance_page(user=owner, session_id=session.pk, limit=50, max_chars=100)
    assert texts(page) == ["b" * 500]
    assert page.has_before


def test_a_plain_sessions_page_holds_what_the_queryset_gives(owner, session):
    utterances_append(
        user=owner,
        session_id=session.pk,
        utterances=[
            UtteranceIn(
                role="user", text=f"m{n}", client_id=f"c{n}", metadata={"n": n, "tags": ["x"]}, is_final=n % 4 != 0
            )
            for n in range(1, 31)
        ],
    )
    stored = Utterance.objects.filter(session=session).order_by("seq").values_list(*UTTERANCE_PAGE_FIELDS, named=True)
    final = [row for row in stored if row.is_final]
    assert utterance_page(user=owner, session_id=session.pk, limit=5).utterances == final[-5:]
    assert (
        utterance_page(user=owner, session_id=session.pk, before=20, limit=5).utterances
        == [row for row in final if row.seq < 20][-5:]
    )
    assert (
        utterance_page(user=owner, session_id=session.pk, after=7, limit=5).utterances
        == [row for row in final if row.seq > 7][:5]
    )
    page = utterance_page(user=owner, session_id=session.pk, include_interim=True, limit=100)
    assert page.utterances == list(stored)
    assert page.utterances[0].metadata == {"n": 1, "tags": ["x"]}


def test_postgres_reads_a_plain_page_backwards_on_the_session_seq_index(owner, session, outsider):
    say(owner, session, *[f"m{n}" for n in range(300)])
    say(outsider, session_create(user=outsider), *[f"o{n}" for n in range(300)])
    with connection.cursor() as cursor:
        # As in test_session_list_for_user.py: with sorting priced out, the plan shows whether the
        # index gives the page in order. On a test-sized table the planner may rightly prefer reading
        # all of a session's rows and sorting them, and did in one full run out of many.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    for key, values in [((False, True, False, True), [300, 50]), ((True, False, False, True), [50])]:
        statement = plain_page_statement(*key)
        for plan in (
            plan_of("conversation_utterance", statement.text(), [session.pk, *values]),
            generic_plan_of("conversation_utterance", statement.text(), [session.pk, *values]),
        ):
            assert "utterance_session_seq_unique" in plan, plan
            assert "Sort" not in plan, plan

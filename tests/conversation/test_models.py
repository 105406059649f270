import pytest
from django.db import IntegrityError, connection

from conversation.models import Persona, Session, Utterance


def test_the_four_personas_are_seeded_with_one_default(db):
    personas = list(Persona.objects.order_by("position").values_list("name", "is_default"))
    assert personas == [
        ("Default Assistant", True),
        ("Mental Health Nurse", False),
        ("Technical Support", False),
        ("Creative Writer", False),
    ]
    assert all(p.system_prompt for p in Persona.objects.all())


def test_only_one_persona_can_be_the_default(db):
    with pytest.raises(IntegrityError):
        Persona.objects.create(slug="other", name="Other", system_prompt="x", is_default=True)


def test_a_seq_is_unique_within_a_session(session):
    Utterance.objects.create(session=session, user=session.user, seq=1, role="user", text="a")
    with pytest.raises(IntegrityError):
        Utterance.objects.create(session=session, user=session.user, seq=1, role="user", text="b")


def test_a_client_id_is_unique_within_a_session_but_may_be_absent_many_times(session):
    Utterance.objects.create(session=session, user=session.user, seq=1, role="user", text="a", client_id=None)
    Utterance.objects.create(session=session, user=session.user, seq=2, role="user", text="a", client_id=None)
    Utterance.objects.create(session=session, user=session.user, seq=3, role="user", text="a", client_id="c1")
    with pytest.raises(IntegrityError):
        Utterance.objects.create(session=session, user=session.user, seq=4, role="user", text="a", client_id="c1")


def test_the_database_refuses_an_unknown_role(session):
    with pytest.raises(IntegrityError):
        Utterance.objects.create(session=session, user=session.user, seq=1, role="agent", text="a")


def test_the_database_refuses_counts_that_do_not_add_up(session):
    with pytest.raises(IntegrityError):
        Session.objects.filter(pk=session.pk).update(message_count=3)


def test_the_search_indexes_exist(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%search_idx"])
        assert sorted(row[0] for row in cursor.fetchall()) == ["session_title_search_idx", "utterance_text_search_idx"]

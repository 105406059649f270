import uuid

import pytest

from conversation.models import Session
from conversation.sessions.create import session_update
from conversation.sessions.lifecycle import session_trash
from conversation.sessions.lookup import session_get_for_user
from tests.helpers import say


def test_it_returns_the_users_session_with_its_persona(owner, session, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = session_get_for_user(user=owner, session_id=str(session.pk))
        assert found.persona.slug == "default"


@pytest.mark.parametrize("make_id", [lambda s: s.pk, lambda s: uuid.uuid4(), lambda s: "nope", lambda s: ""])
def test_another_users_missing_and_malformed_ids_are_all_not_found(outsider, session, make_id):
    with pytest.raises(Session.DoesNotExist):
        session_get_for_user(user=outsider, session_id=make_id(session))


def test_every_field_is_what_the_queryset_reads(owner, session):
    session_update(user=owner, session_id=session.pk, title="Kept", pinned=True, metadata={"k": [1, "two"]})
    say(owner, session, "one", "two")
    found = session_get_for_user(user=owner, session_id=session.pk)
    expected = Session.objects.select_related("persona").get(pk=session.pk)
    fields = [field.attname for field in Session._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert found.persona == expected.persona
    assert found.persona.system_prompt == expected.persona.system_prompt
    assert found.get_deferred_fields() == set()


def test_a_session_in_the_trash_is_found_only_by_the_trash(owner, session):
    session_trash(user=owner, session_id=session.pk)
    with pytest.raises(Session.DoesNotExist):
        session_get_for_user(user=owner, session_id=session.pk)
    assert session_get_for_user(user=owner, session_id=session.pk, in_trash=True).pk == session.pk

import uuid

import pytest

from conversation import selectors
from conversation.models import Session


def test_it_returns_the_users_session_with_its_persona(owner, session, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = selectors.session_get_for_user(user=owner, session_id=str(session.pk))
        assert found.persona.slug == "default"


@pytest.mark.parametrize("make_id", [lambda s: s.pk, lambda s: uuid.uuid4(), lambda s: "nope", lambda s: ""])
def test_another_users_missing_and_malformed_ids_are_all_not_found(outsider, session, make_id):
    with pytest.raises(Session.DoesNotExist):
        selectors.session_get_for_user(user=outsider, session_id=make_id(session))

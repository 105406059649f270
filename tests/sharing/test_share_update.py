"""share_update and share_revoke: the owner's changes, another user's link not found."""

import pytest
from django.core.exceptions import ValidationError

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from sharing.models import Share
from sharing.services import share_create, share_revoke, share_update
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


def test_update_the_link_takes_the_chat_as_it_is_now(owner):
    session = chat(owner)
    share = share_create(user=owner, session_id=session.pk)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="Later")])
    share = share_update(user=owner, share_id=share.pk, resnapshot=True)
    assert [m["text"] for m in share.messages][-1] == "Later"
    assert share.message_count == 3


def test_it_changes_only_what_is_given(owner):
    share = share_create(user=owner, session_id=chat(owner).pk, password="pw", display_name="Olive")
    share = share_update(user=owner, share_id=share.pk, audience="named", emails=["a@example.com"])
    assert (share.audience, share.emails, share.display_name) == ("named", ["a@example.com"], "Olive")
    assert share.password_hash
    share = share_update(user=owner, share_id=share.pk, audience="signed_in", password=None)
    assert (share.audience, share.emails, share.password_hash) == ("signed_in", [], "")


def test_another_users_link_is_not_found(owner, outsider):
    share = share_create(user=owner, session_id=chat(owner).pk)
    with pytest.raises(Share.DoesNotExist):
        share_update(user=outsider, share_id=share.pk, display_name="Mine")
    with pytest.raises(Share.DoesNotExist):
        share_revoke(user=outsider, share_id=share.pk)


def test_revoking_keeps_the_first_time_and_a_revoked_link_cannot_change(owner):
    share = share_create(user=owner, session_id=chat(owner).pk)
    first = share_revoke(user=owner, share_id=share.pk).revoked_at
    assert share_revoke(user=owner, share_id=share.pk).revoked_at == first
    with pytest.raises(ValidationError, match="revoked"):
        share_update(user=owner, share_id=share.pk, display_name="Again")

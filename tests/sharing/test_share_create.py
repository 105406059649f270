"""share_create: a snapshot of the active branch, role and text only, within the limits."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.lifecycle import session_trash
from sharing.models import Share
from sharing.services import share_create
from tests.factories import UserFactory
from tests.helpers import in_a_thread, wait_until_another_transaction_waits_for_a_lock
from tests.sharing.helpers import branched_chat, chat

pytestmark = pytest.mark.django_db


def test_it_snapshots_the_active_branch_role_and_text_only(owner):
    session = branched_chat(owner)
    share = share_create(user=owner, session_id=session.pk)
    assert share.title == "Bread"
    assert share.messages == [
        {"role": "user", "text": "New branch question"},
        {"role": "assistant", "text": "New branch answer"},
    ]
    assert share.message_count == 2


def test_its_id_is_unguessable(owner):
    ids = {share_create(user=owner, session_id=chat(owner).pk).pk for _ in range(3)}
    assert len(ids) == 3
    assert all(len(share_id) >= 32 for share_id in ids)  # 24 random bytes, base64


def test_a_later_message_does_not_change_the_snapshot(owner):
    session = chat(owner)
    share = share_create(user=owner, session_id=session.pk)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="Later")])
    share.refresh_from_db()
    assert [m["text"] for m in share.messages] == ["How long to proof?", "About **an hour**."]


def test_system_messages_are_left_out(owner):
    session = chat(owner)
    utterances_append(
        user=owner, session_id=session.pk, utterances=[UtteranceIn(role="system", text="You are a baker")]
    )
    share = share_create(user=owner, session_id=session.pk)
    assert "You are a baker" not in str(share.messages)


def test_another_users_chat_is_not_found(owner, outsider):
    session = chat(owner)
    with pytest.raises(Session.DoesNotExist):
        share_create(user=outsider, session_id=session.pk)


def test_a_chat_in_the_trash_is_not_found(owner):
    session = chat(owner)
    session_trash(user=owner, session_id=session.pk)
    with pytest.raises(Session.DoesNotExist):
        share_create(user=owner, session_id=session.pk)


def test_it_refuses_a_chat_longer_than_the_limit(owner, settings):
    settings.MAX_SHARE_MESSAGES = 1
    with pytest.raises(ValidationError, match="more than 1 messages"):
        share_create(user=owner, session_id=chat(owner).pk)
    assert not Share.objects.exists()


def test_a_named_audience_needs_an_email_and_keeps_them_lowercased(owner):
    session = chat(owner)
    with pytest.raises(ValidationError, match="at least one"):
        share_create(user=owner, session_id=session.pk, audience="named")
    share = share_create(
        user=owner, session_id=session.pk, audience="named", emails=[" Ann@Example.com", "ann@example.com"]
    )
    assert share.emails == ["ann@example.com"]


def test_it_refuses_bad_input(owner):
    session = chat(owner)
    for kwargs, field in [
        ({"audience": "everyone"}, "audience"),
        ({"audience": "named", "emails": ["not-an-email"]}, "emails"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"password": "p" * 129}, "password"),
    ]:
        with pytest.raises(ValidationError) as refused:
            share_create(user=owner, session_id=session.pk, **kwargs)
        assert field in refused.value.message_dict
    assert not Share.objects.exists()


def test_the_password_is_stored_hashed(owner):
    share = share_create(user=owner, session_id=chat(owner).pk, password="open sesame")
    assert share.password_hash
    assert "open sesame" not in share.password_hash


def test_it_refuses_past_the_users_limit(owner, settings):
    settings.MAX_SHARES = 1
    session = chat(owner)
    share_create(user=owner, session_id=session.pk)
    with pytest.raises(ValidationError, match="At most 1 shared links"):
        share_create(user=owner, session_id=session.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_links_made_at_once_on_two_chats_never_pass_max_shares(settings):
    settings.MAX_SHARES = 1
    owner = UserFactory(email=f"{uuid.uuid4().hex}@example.com")
    first, second = chat(owner), chat(owner)
    with transaction.atomic():
        share_create(user=owner, session_id=first.pk)  # not committed yet
        thread, outcome = in_a_thread(lambda: share_create(user=owner, session_id=second.pk))
        wait_until_another_transaction_waits_for_a_lock()
    thread.join(30)

    assert [type(o) for o in outcome] == [ValidationError], outcome
    assert Share.objects.filter(user=owner).count() == 1

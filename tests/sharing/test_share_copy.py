""" "Continue as copy" through HTTP: a new chat of the viewer's own from the snapshot, with a note
and no link back; refused as the page itself would be."""

import pytest
from django.test import Client

from conversation.models import Session, Utterance
from sharing.services import share_create, share_revoke
from tests.sharing.helpers import branched_chat, chat

pytestmark = pytest.mark.django_db


def test_a_signed_in_viewer_gets_a_chat_of_their_own_from_the_snapshot(owner, outsider, outsider_client):
    session = branched_chat(owner)
    share = share_create(user=owner, session_id=session.pk)
    response = outsider_client.post(f"/s/{share.pk}/copy/")
    copy = Session.objects.get(user=outsider)
    assert response.status_code == 302
    assert response["Location"] == f"/c/{copy.pk}/"
    assert (copy.title, copy.title_source) == ("Copy of Bread", "user")  # the model never renames a copy
    assert copy.metadata == {"copied_from": "a shared chat"}
    texts = list(Utterance.objects.filter(session=copy).order_by("seq").values_list("role", "text"))
    assert texts == [("user", "New branch question"), ("assistant", "New branch answer")]
    assert copy.message_count == 2
    assert str(session.pk) not in str(copy.metadata)
    assert outsider_client.get(f"/c/{copy.pk}/").status_code == 200


def test_anyone_not_signed_in_is_sent_to_log_in(owner):
    share = share_create(user=owner, session_id=chat(owner).pk)
    response = Client().post(f"/s/{share.pk}/copy/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert Session.objects.count() == 1


def test_a_link_the_viewer_cannot_open_copies_nothing(owner, outsider, outsider_client):
    revoked = share_create(user=owner, session_id=chat(owner).pk)
    share_revoke(user=owner, share_id=revoked.pk)
    locked = share_create(user=owner, session_id=chat(owner).pk, password="pw")
    named = share_create(user=owner, session_id=chat(owner).pk, audience="named", emails=["someone@example.com"])
    assert outsider_client.post(f"/s/{revoked.pk}/copy/").status_code == 410
    assert outsider_client.post(f"/s/{locked.pk}/copy/").status_code == 401
    assert outsider_client.post(f"/s/{named.pk}/copy/").status_code == 404
    assert not Session.objects.filter(user=outsider).exists()


def test_after_the_right_password_the_copy_is_allowed(owner, outsider, outsider_client):
    share = share_create(user=owner, session_id=chat(owner).pk, password="pw")
    assert outsider_client.post(f"/s/{share.pk}/", {"password": "pw"}).status_code == 200
    assert outsider_client.post(f"/s/{share.pk}/copy/").status_code == 302
    assert Session.objects.filter(user=outsider).count() == 1


def test_copies_past_the_hourly_bound_are_refused_and_make_no_chat(owner, outsider, outsider_client, settings):
    settings.SHARE_COPIES_PER_HOUR = 2
    share = share_create(user=owner, session_id=chat(owner).pk)
    for _ in range(2):
        assert outsider_client.post(f"/s/{share.pk}/copy/").status_code == 302
    refused = outsider_client.post(f"/s/{share.pk}/copy/")
    assert refused.status_code == 429
    assert b"Too many copies" in refused.content
    assert Session.objects.filter(user=outsider).count() == 2

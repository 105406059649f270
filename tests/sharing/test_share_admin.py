"""The links' admin: staff see the list (no snapshot, no hash) and deleting a link ends its page."""

import pytest
from django.test import Client

from sharing.models import Share
from sharing.services import share_create
from tests.factories import UserFactory
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    return client


def test_staff_see_links_without_their_snapshot_or_hash_and_may_delete_one(owner, staff_client):
    share = share_create(user=owner, session_id=chat(owner).pk, password="pw")
    listing = staff_client.get("/admin/sharing/share/")
    assert listing.status_code == 200
    assert share.pk[:8].encode() in listing.content
    detail = staff_client.get(f"/admin/sharing/share/{share.pk}/change/")
    assert detail.status_code == 200
    assert b"How long to proof" not in detail.content
    assert share.password_hash.encode() not in detail.content
    deleted = staff_client.post(f"/admin/sharing/share/{share.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not Share.objects.exists()
    assert Client().get(f"/s/{share.pk}/").status_code == 404

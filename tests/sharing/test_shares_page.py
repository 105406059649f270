"""The "Shared links" page: the user's links with their views, copied or revoked; another user's
link a 404."""

import pytest
from django.test import Client

from sharing.services import share_create, share_revoke
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


def test_it_lists_the_users_links_with_their_views(owner, owner_client, outsider):
    live = share_create(user=owner, session_id=chat(owner, title="Live one").pk, password="pw")
    ended = share_create(user=owner, session_id=chat(owner, title="Ended one").pk)
    share_revoke(user=owner, share_id=ended.pk)
    share_create(user=outsider, session_id=chat(outsider, title="Not mine").pk)
    Client().get(f"/s/{ended.pk}/")
    page = owner_client.get("/shares/").content.decode()
    assert f"http://testserver/s/{live.pk}/" in page
    assert f"/s/{ended.pk}/" not in page  # a revoked link is not offered to copy
    assert "Revoked just now" in page
    assert "with a password" in page
    assert "Not mine" not in page
    assert page.count('aria-label="Revoke the link') == 1


def test_revoking_ends_the_link_at_once(owner, owner_client):
    share = share_create(user=owner, session_id=chat(owner).pk)
    response = owner_client.post(f"/shares/{share.pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == "/shares/"
    assert "it no longer opens" in response.content.decode()
    assert Client().get(f"/s/{share.pk}/").status_code == 410


def test_another_users_link_cannot_be_revoked(owner, outsider_client):
    share = share_create(user=owner, session_id=chat(owner).pk)
    assert outsider_client.post(f"/shares/{share.pk}/revoke/").status_code == 404
    assert Client().get(f"/s/{share.pk}/").status_code == 200


def test_it_needs_a_log_in_and_the_account_page_links_to_it(owner_client):
    assert Client().get("/shares/").status_code == 302
    assert b'href="/shares/"' in owner_client.get("/accounts/").content

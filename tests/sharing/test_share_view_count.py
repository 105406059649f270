"""share_view_count: once per visitor a day, and no address kept in clear."""

import pytest
from django.core.cache import cache

from sharing.services import share_create, share_view_count
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


def test_a_visitor_counts_once_a_day(owner):
    share = share_create(user=owner, session_id=chat(owner).pk)
    assert share_view_count(share=share, visitor="addr:203.0.113.9") is True
    assert share_view_count(share=share, visitor="addr:203.0.113.9") is False
    assert share_view_count(share=share, visitor="user:7") is True
    share.refresh_from_db()
    assert share.view_count == 2
    assert share.last_viewed_at is not None


def test_the_address_is_not_in_what_the_cache_keeps(owner, monkeypatch):
    share = share_create(user=owner, session_id=chat(owner).pk)
    kept = []
    add = cache.add
    monkeypatch.setattr(
        cache, "add", lambda key, *args, **kwargs: kept.append((key, args)) or add(key, *args, **kwargs)
    )
    share_view_count(share=share, visitor="addr:203.0.113.9")
    assert len(kept) == 1
    assert "203.0.113.9" not in str(kept)

"""A link's messages are rendered into the cache after the commit that takes its snapshot, so its
first visitor does not pay for every message's Markdown; the page then serves that very fragment."""

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key

from account_data.services import account_erase
from sharing.services import share_create, share_revoke, share_update
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


def fragment_key(share) -> str:
    return make_template_fragment_key("shared_messages", [share.pk, share.updated_at.isoformat()])


def test_a_new_link_s_messages_are_rendered_before_its_first_view(owner, client, django_capture_on_commit_callbacks):
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        share = share_create(user=owner, session_id=chat(owner).pk)
    rendered = cache.get(fragment_key(share))
    assert "<strong>an hour</strong>" in rendered
    cache.set(fragment_key(share), rendered.replace("an hour", "the cached hour"))
    assert "the cached hour" in client.get(f"/s/{share.pk}/").content.decode()


def test_an_updated_link_s_new_snapshot_is_rendered_too(owner, django_capture_on_commit_callbacks):
    share = share_create(user=owner, session_id=chat(owner).pk)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        share = share_update(user=owner, share_id=share.pk, display_name="Olive", resnapshot=True)
    assert "Olive" in cache.get(fragment_key(share))


def test_nothing_is_rendered_before_the_commit(owner, django_capture_on_commit_callbacks):
    session = chat(owner)
    cache.clear()
    with django_capture_on_commit_callbacks(execute=False):
        share = share_create(user=owner, session_id=session.pk)
    assert cache.get(fragment_key(share)) is None


def test_a_revoked_or_changed_link_s_old_messages_leave_the_cache(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share = share_create(user=owner, session_id=chat(owner).pk)
    before = fragment_key(share)
    with django_capture_on_commit_callbacks(execute=True):
        share = share_update(user=owner, share_id=share.pk, resnapshot=True)
    assert cache.get(before) is None
    assert cache.get(fragment_key(share)) is not None
    changed = fragment_key(share)
    with django_capture_on_commit_callbacks(execute=True):
        share_revoke(user=owner, share_id=share.pk)
    assert cache.get(changed) is None


def test_an_erased_account_s_rendered_links_leave_the_cache(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        share = share_create(user=owner, session_id=chat(owner).pk)
    assert cache.get(fragment_key(share)) is not None
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=owner)
    assert cache.get(fragment_key(share)) is None

"""A link's messages are rendered into the cache after the commit that takes its snapshot, so its
first visitor does not pay for every message's Markdown; the page then serves that very fragment."""

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key

from sharing.services import share_create, share_update
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

"""The tag services' events, through the real channel layer, after the commit only."""

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from chatproject import live
from conversation.models import Tag
from conversation.sessions.create import session_create
from conversation.tags.services import session_tags_set, sessions_tag, sessions_untag, tag_delete, tag_rename
from tests.helpers import event_receive, group_listen

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


async def test_tagging_announces_the_new_tags_then_the_chats_tags(owner):
    a, b = [await db_call(session_create)(user=owner) for _ in range(2)]
    channel = await group_listen(live.user_group(owner.pk))
    await db_call(sessions_tag)(user=owner, session_ids=[a.pk, b.pk], names=["Work", "home"])
    changed, tagged = await event_receive(channel), await event_receive(channel)
    assert changed["type"] == "tags.changed"
    assert [t["name"] for t in changed["tags"]] == ["home", "Work"]
    assert set(changed["tags"][0]) == {"id", "name"}
    assert tagged == {
        "type": "sessions.tags",
        "sessions": [{"id": str(s.pk), "tags": ["home", "Work"]} for s in sorted([a, b], key=lambda s: s.pk)],
    }
    # Existing tags only: the chats' event alone.
    await db_call(sessions_untag)(user=owner, session_ids=[a.pk], names=["work"])
    assert await event_receive(channel) == {"type": "sessions.tags", "sessions": [{"id": str(a.pk), "tags": ["home"]}]}


async def test_rename_and_delete_announce_the_list_and_every_chat_they_touched(owner):
    a = await db_call(session_create)(user=owner)
    await db_call(sessions_tag)(user=owner, session_ids=[a.pk], names=["old", "keep"])
    channel = await group_listen(live.user_group(owner.pk))
    tag = await db_call(Tag.objects.get)(name="old")
    await db_call(tag_rename)(user=owner, tag_id=tag.pk, name="new")
    assert [t["name"] for t in (await event_receive(channel))["tags"]] == ["keep", "new"]
    assert (await event_receive(channel))["sessions"] == [{"id": str(a.pk), "tags": ["keep", "new"]}]
    await db_call(tag_delete)(user=owner, tag_id=tag.pk)
    assert [t["name"] for t in (await event_receive(channel))["tags"]] == ["keep"]
    assert (await event_receive(channel))["sessions"] == [{"id": str(a.pk), "tags": ["keep"]}]


async def test_a_refused_write_announces_nothing(owner, settings):
    settings.MAX_TAGS_PER_SESSION = 1
    a = await db_call(session_create)(user=owner)
    channel = await group_listen(live.user_group(owner.pk))
    with pytest.raises(ValidationError):
        await db_call(session_tags_set)(user=owner, session_id=a.pk, names=["one", "two"])
    await db_call(session_tags_set)(user=owner, session_id=a.pk, names=["three"])
    tag = await db_call(Tag.objects.get)()
    assert (await event_receive(channel))["tags"] == [{"id": str(tag.pk), "name": "three"}]

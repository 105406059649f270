"""Live events of sync writes, published to the real Redis channel layer under make test."""

import asyncio
import io
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chatproject import live
from conversation import events
from conversation.history.append import utterances_append
from conversation.history.save import conversation_save
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.bulk import sessions_bulk
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_restore, session_trash, sessions_end

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


async def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def receive(channel: str) -> dict:
    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)
    assert message["type"] == "chat.event"
    return message["event"]


async def test_a_sync_write_reaches_a_channel_of_the_group_through_the_layer(owner):
    session = await db_call(session_create)(user=owner)
    channel = await listen(live.user_group(owner.pk))

    await db_call(session_update)(user=owner, session_id=session.pk, title="Plans")

    event = await receive(channel)
    assert event["type"] == "session.renamed"
    assert event["session"]["title"] == "Plans"


async def test_events_write_times_as_the_api_does(owner):
    from tests.helpers import say, token_client

    session = await db_call(session_create)(user=owner)
    utterances = await listen(events.session_group(session.pk))
    sidebar = await listen(live.user_group(owner.pk))

    await db_call(say)(owner, session, "hello")
    said = (await receive(utterances))["utterance"]
    activity = await receive(sidebar)
    while activity["type"] != "session.activity":
        activity = await receive(sidebar)

    api = await db_call(token_client)(owner)
    detail = (await db_call(api.get)(f"/api/sessions/{session.pk}/")).json()
    page = (await db_call(api.get)(f"/api/sessions/{session.pk}/utterances/")).json()
    assert said["created_at"] == page["results"][0]["created_at"]
    assert activity["session"]["created_at"] == detail["created_at"]
    assert activity["session"]["last_activity_at"] == detail["last_activity_at"]
    assert said["created_at"].endswith("Z")


async def test_pinning_and_archiving_are_announced_to_every_tab_with_the_times(owner):
    session = await db_call(session_create)(user=owner, title="Plans")
    channel = await listen(live.user_group(owner.pk))

    await db_call(session_update)(user=owner, session_id=session.pk, pinned=True)
    pinned = await receive(channel)
    await db_call(session_update)(user=owner, session_id=session.pk, archived=True)
    archived = await receive(channel)

    assert (pinned["type"], pinned["session"]["id"]) == ("session.updated", str(session.pk))
    assert pinned["session"]["pinned_at"] is not None
    assert pinned["session"]["archived_at"] is None
    assert archived["session"]["archived_at"] is not None
    assert archived["session"]["deleted_at"] is None


async def test_moves_to_and_from_the_trash_are_announced_to_every_tab(owner):
    session = await db_call(session_create)(user=owner, title="Plans")
    channel = await listen(live.user_group(owner.pk))

    await db_call(session_trash)(user=owner, session_id=session.pk)
    trashed = await receive(channel)
    await db_call(session_restore)(user=owner, session_id=session.pk)
    restored = await receive(channel)

    assert (trashed["type"], trashed["session"]["id"]) == ("session.updated", str(session.pk))
    assert trashed["session"]["deleted_at"] is not None
    assert (restored["type"], restored["session"]["deleted_at"]) == ("session.updated", None)


async def test_a_bulk_action_announces_each_session_it_changed(owner):
    sessions = [await db_call(session_create)(user=owner) for _ in range(2)]
    channel = await listen(live.user_group(owner.pk))

    ids = [str(s.pk) for s in sessions]
    await db_call(sessions_bulk)(user=owner, session_ids=ids, action="archive")

    received = [await receive(channel), await receive(channel)]
    assert {(e["type"], e["session"]["id"]) for e in received} == {("session.updated", i) for i in ids}
    assert all(e["session"]["archived_at"] for e in received)


async def test_a_conversation_save_that_renames_announces_it_with_the_automatic_title_rule(owner):
    session = await db_call(session_create)(user=owner, title="Old")
    await db_call(utterances_append)(
        user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="Plans for Lisbon")]
    )
    channel = await listen(live.user_group(owner.pk))

    await db_call(conversation_save)(user=owner, session_id=session.pk, messages=[], title="")

    event = await receive(channel)
    assert (event["type"], event["session"]["id"]) == ("session.renamed", str(session.pk))
    assert event["session"]["title"] == "Plans for Lisbon"


async def test_ending_sessions_announces_them_once_per_owner(owner, outsider):
    mine = [await db_call(session_create)(user=owner) for _ in range(2)]
    theirs = await db_call(session_create)(user=outsider)
    channel = await listen(live.user_group(owner.pk))

    ended = await db_call(sessions_end)(session_ids=[s.pk for s in [*mine, theirs]])

    assert ended == 3
    event = await receive(channel)
    assert event["type"] == "session.ended"
    assert sorted(event["session_ids"]) == sorted(str(s.pk) for s in mine)


async def test_expiry_tells_each_owner_what_it_moved_to_the_trash_and_what_it_removed(owner, outsider, settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    settings.SESSION_RETENTION_DAYS = 30
    settings.TRASH_RETENTION_DAYS = 30
    long_ago = timezone.now() - timedelta(days=40)

    def idle(user, **fields) -> Session:
        session = session_create(user=user)
        Session.objects.filter(pk=session.pk).update(last_activity_at=long_ago, **fields)
        return session

    idle_ones = [await db_call(idle)(owner) for _ in range(2)]
    long_trashed = await db_call(idle)(owner, deleted_at=long_ago)
    await db_call(idle)(outsider)
    await db_call(session_create)(user=owner)  # active: stays
    channel = await listen(live.user_group(owner.pk))

    await db_call(call_command)("expire_sessions", stdout=io.StringIO())

    expired = await receive(channel)
    assert expired["type"] == "sessions.expired"
    assert sorted(expired["session_ids"]) == sorted(str(s.pk) for s in idle_ones)
    assert expired["deleted_at"].endswith("Z")
    removed = await receive(channel)
    assert (removed["type"], removed["session_ids"]) == ("session.deleted", [str(long_trashed.pk)])
    with pytest.raises(TimeoutError):  # one event of each, not one per session or other users'
        await asyncio.wait_for(get_channel_layer().receive(channel), timeout=0.5)


async def test_a_save_that_ends_the_session_announces_it(owner):
    session = await db_call(session_create)(user=owner)
    channel = await listen(live.user_group(owner.pk))

    await db_call(conversation_save)(user=owner, session_id=session.pk, messages=[], end=True)

    event = await receive(channel)
    assert (event["type"], event["session_ids"]) == ("session.ended", [str(session.pk)])


async def test_the_utterances_of_a_session_arrive_in_seq_order(owner):
    session = await db_call(session_create)(user=owner)
    channel = await listen(events.session_group(session.pk))

    def append_one_by_one() -> None:
        for n in range(30):
            utterances_append(
                user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text=f"message {n}")]
            )

    await db_call(append_one_by_one)()

    received = [await receive(channel) for _ in range(30)]
    assert [e["utterance"]["seq"] for e in received] == list(range(1, 31))
    assert received[-1]["utterance"]["text"] == "message 29"


@pytest.fixture
def unreachable_redis(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"


def test_an_unreachable_redis_loses_the_events_but_not_the_write(owner, unreachable_redis, caplog):
    session = session_create(user=owner)

    with caplog.at_level(logging.WARNING, logger="conversation.events"):
        utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="hi")])

    session = Session.objects.get(pk=session.pk)
    assert session.message_count == 1
    assert "live events lost" in caplog.text


def test_with_the_one_redis_down_an_append_loses_its_events_and_window_but_not_the_write(
    owner, cache_on_own_redis, settings, caplog
):
    settings.REDIS_URL = cache_on_own_redis.url  # the cache and the channel layer on one server, as deployed
    session = session_create(user=owner)
    cache_on_own_redis.stop()

    with caplog.at_level(logging.WARNING, logger="conversation.history.append"):
        utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="hi")])

    assert Session.objects.get(pk=session.pk).message_count == 1
    assert "Redis unreachable" in caplog.text


def test_a_failing_after_commit_hook_neither_fails_the_write_nor_skips_the_other_hooks(owner, monkeypatch, caplog):
    from chatproject import live as live_module
    from conversation import context
    from tests.helpers import token_client

    publish_now = live_module.publish_now

    def broken(events, **kwargs):
        if any(event["type"] == "session.created" for _, event in events):
            raise RuntimeError("the events' encoder broke")
        return publish_now(events, **kwargs)

    extended = []
    extend = context.context_window_extend
    monkeypatch.setattr(live_module, "publish_now", broken)
    monkeypatch.setattr(context, "context_window_extend", lambda **kw: extended.append(kw) or extend(**kw))
    with caplog.at_level("ERROR"):
        response = token_client(owner).post(
            "/api/sessions/save/", {"messages": [{"role": "user", "text": "kept"}]}, format="json"
        )
    assert response.status_code == 200
    session = Session.objects.get(pk=response.json()["id"])
    assert list(session.utterances.values_list("text", flat=True)) == ["kept"]
    # The session.created hook failed first; the append's hook after it still ran.
    assert [kw["last_seq"] for kw in extended] == [1]
    assert "the events' encoder broke" in caplog.text

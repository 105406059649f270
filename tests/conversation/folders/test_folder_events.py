"""The folder events, published after the commit to the real channel layer."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chatproject import live
from conversation.folders.services import folder_create, folder_delete, folder_update, sessions_move_to_folder
from conversation.sessions.create import session_create
from tests.helpers import event_receive, group_listen

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


async def test_each_folder_write_sends_the_tree_and_a_move_sends_the_row(owner, outsider):
    theirs = await group_listen(live.user_group(outsider.pk))
    tabs = await group_listen(live.user_group(owner.pk))

    folder = await db_call(folder_create)(user=owner, name="Work")
    assert (await event_receive(tabs))["folders"][0]["name"] == "Work"
    await db_call(folder_update)(user=owner, folder_id=folder.pk, name="Job")
    assert [f["name"] for f in (await event_receive(tabs))["folders"]] == ["Job"]

    session = await db_call(session_create)(user=owner)
    assert (await event_receive(tabs))["type"] == "session.created"
    await db_call(sessions_move_to_folder)(user=owner, session_ids=[session.pk], folder_id=folder.pk)
    moved = await event_receive(tabs)
    assert (moved["type"], moved["session"]["folder"]) == ("session.updated", str(folder.pk))

    await db_call(folder_delete)(user=owner, folder_id=folder.pk, chats="move_out")
    assert (await event_receive(tabs))["session"]["folder"] is None
    assert await event_receive(tabs) == {"type": "folders.changed", "folders": []}
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(get_channel_layer().receive(theirs), timeout=0.2)

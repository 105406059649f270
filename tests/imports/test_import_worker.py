"""The import runs for real: an upload through HTTP, a `manage.py db_worker` process takes the job,
the owner's open tabs hear its progress and the chats it brings in."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.helpers import socket_of
from tests.imports import samples

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@database_sync_to_async
def upload(owner, data: bytes) -> dict:
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/imports/", {"file": SimpleUploadedFile("export.zip", data)}, format="multipart")
    assert response.status_code == 202
    return response.json()


async def test_a_worker_imports_the_upload_and_every_tab_hears_of_it(owner, job_worker):
    conversations = [samples.chatgpt_trip(), *(samples.chatgpt_linear(f"c{n}", title=f"Chat {n}") for n in range(4))]
    tab = await socket_of(owner)

    started = await upload(owner, samples.chatgpt_zip(conversations, files=3))

    states, arrived = [], []
    async with asyncio.timeout(30):
        while not states or states[-1]["status"] not in ("done", "failed"):
            event = await tab.receive_json_from(timeout=30)
            if event["type"] == "account.import":
                states.append(event["import"])
            elif event["type"] == "sessions.imported":
                arrived.extend(event["sessions"])
    await tab.disconnect()
    assert {state["id"] for state in states} == {started["id"]}
    assert states[-1]["status"] == "done", states[-1]
    assert states[-1]["summary"] == {"imported": 5, "present": 0, "failed": 0, "skipped_turns": 5}
    assert sorted(session["title"] for session in arrived) == ["Chat 0", "Chat 1", "Chat 2", "Chat 3", "May trip"]
    assert storages["imports"].listdir("")[1] == []

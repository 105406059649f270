"""The export runs for real: a `manage.py db_worker` process takes the job from the database, and the
owner's open tabs follow its progress to the download."""

import asyncio
import io
import json
import zipfile

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from accounts import services
from conversation import services as conversation_services
from tests.helpers import say, socket_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@database_sync_to_async
def start_export(owner) -> dict:
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/account/export/")
    assert response.status_code == 202
    return response.json()


@database_sync_to_async
def download(owner, path: str) -> zipfile.ZipFile:
    client = APIClient()
    client.force_authenticate(owner)
    response = client.get(path)
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


async def test_a_worker_builds_the_export_and_every_tab_follows_it_to_the_download(owner, job_worker, settings):
    for n in range(3):
        session = await database_sync_to_async(conversation_services.session_create)(user=owner, title=f"Chat {n}")
        await database_sync_to_async(say)(owner, session, f"message {n}")
    tab = await socket_of(owner)

    started = await start_export(owner)

    states = []
    async with asyncio.timeout(30):
        while not states or states[-1]["status"] not in ("done", "failed"):
            event = await tab.receive_json_from(timeout=30)
            if event["type"] == "account.export":
                states.append(event["export"])
    await tab.disconnect()
    assert {state["id"] for state in states} == {started["id"]}
    assert states[0]["status"] == "running"
    assert states[-1]["status"] == "done", states[-1]
    assert states[-1]["progress"] == {"sessions_done": 3, "sessions_total": 3, "utterances": 3}
    archive = await download(owner, states[-1]["download"])
    manifest = json.loads(archive.read("manifest.json"))
    assert [row["title"] for row in manifest["sessions"]] == ["Chat 0", "Chat 1", "Chat 2"]


async def test_a_start_rolled_back_enqueues_nothing(owner, job_worker):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    def start_then_fail():
        with transaction.atomic():
            services.account_export_start(user=owner)
            raise RuntimeError("the request failed after starting the export")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(start_then_fail)()
    assert await database_sync_to_async(DBTaskResult.objects.count)() == 0

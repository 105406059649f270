"""The export runs for real: a `manage.py db_worker` process takes the job from the database, and the
owner's open tabs follow its progress to the download."""

import asyncio
import io
import json
import time
import zipfile

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from account_data import services
from accounts.models import AccountExport, User
from conversation.sessions.create import session_create
from imports.models import ConversationImport
from tests.helpers import say, socket_of
from tests.imports import hostile

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _tasks_finished_before_the_flush(job_worker):
    """The worker records a task's result after the job's own row shows it finished: the test's
    database is emptied only once it has (a worker whose task row vanished under it stops)."""
    yield
    deadline = time.monotonic() + 60
    while DBTaskResult.objects.filter(status="RUNNING").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


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
        session = await database_sync_to_async(session_create)(user=owner, title=f"Chat {n}")
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


@database_sync_to_async
def upload(owner, data: bytes) -> dict:
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post("/api/imports/", {"file": SimpleUploadedFile("export.zip", data)}, format="multipart")
    assert response.status_code == 202
    return response.json()


@database_sync_to_async
def row_of(model, pk):
    return model.objects.get(pk=pk)


async def test_one_users_long_import_holds_neither_another_users_export_nor_a_second_worker(
    owner, job_worker, second_job_worker
):
    """Two workers (JOB_WORKERS), and one job at a time per user: while the owner's import runs, their
    export waits in the queue, and another user's export, started then, is built at once."""
    other = await database_sync_to_async(User.objects.create_user)(email="other@example.com", password="pw-12345678")
    tab = await socket_of(owner)
    slow = await upload(owner, hostile.blank_array(0.5))
    async with asyncio.timeout(60):
        while (event := await tab.receive_json_from(timeout=60))["type"] != "account.import" or event["import"][
            "status"
        ] != "running":
            pass

    mine = await start_export(owner)
    theirs = await database_sync_to_async(services.account_export_start)(user=other)
    async with asyncio.timeout(15):
        while (theirs := await row_of(AccountExport, theirs.pk)).status not in ("done", "failed"):
            await asyncio.sleep(0.1)

    assert theirs.status == "done"
    assert (await row_of(ConversationImport, slow["id"])).status == "running", "the import ended too soon to tell"
    assert (await row_of(AccountExport, mine["id"])).status == "queued"
    async with asyncio.timeout(120):
        while (export := await row_of(AccountExport, mine["id"])).status not in ("done", "failed"):
            await asyncio.sleep(0.2)
    await tab.disconnect()
    assert export.status == "done"
    assert export.created_at < (await row_of(ConversationImport, slow["id"])).finished_at < export.finished_at


async def test_an_export_waits_behind_no_number_of_imports(owner, job_worker, second_job_worker, export_worker):
    """Two accounts' long imports hold both general workers: a third account's export is built at
    once by the worker that takes exports only."""
    importers = [
        await database_sync_to_async(User.objects.create_user)(email=f"importer{n}@example.com", password="pw-12345678")
        for n in range(2)
    ]
    slow = [await upload(importer, hostile.blank_array(0.5)) for importer in importers]
    async with asyncio.timeout(30):
        for job in slow:
            while (await row_of(ConversationImport, job["id"])).status != "running":
                await asyncio.sleep(0.1)

    export = await database_sync_to_async(services.account_export_start)(user=owner)
    async with asyncio.timeout(15):
        while (export := await row_of(AccountExport, export.pk)).status not in ("done", "failed"):
            await asyncio.sleep(0.1)

    assert export.status == "done"
    statuses = [(await row_of(ConversationImport, job["id"])).status for job in slow]
    assert statuses == ["running", "running"], "the imports ended too soon to tell"
    # Their end, before the workers stop: a worker stopped in the middle of an import leaves its task
    # RUNNING for good, and _tasks_finished_before_the_flush waited its 60 s out for it.
    async with asyncio.timeout(120):
        for job in slow:
            while (await row_of(ConversationImport, job["id"])).status == "running":
                await asyncio.sleep(0.2)

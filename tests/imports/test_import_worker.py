"""The import runs for real: an upload through HTTP, a `manage.py db_worker` process takes the job,
the owner's open tabs hear its progress and the chats it brings in."""

import asyncio
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from account_data import services as account_services
from accounts.models import User
from imports.models import ConversationImport
from tests.helpers import socket_of
from tests.imports import hostile, samples

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


async def import_states(tab, import_id: str, *, until=("done", "failed"), seconds: float = 60) -> list[dict]:
    states = []
    async with asyncio.timeout(seconds):
        while not states or states[-1]["status"] not in until:
            event = await tab.receive_json_from(timeout=seconds)
            if event["type"] == "account.import" and event["import"]["id"] == import_id:
                states.append(event["import"])
    return states


@database_sync_to_async
def export_of_another_user_finishes(other) -> dict:
    """Another user's account export, started now: its state once the worker has built it."""
    export = account_services.account_export_start(user=other)
    deadline = time.monotonic() + 60
    while export.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        export.refresh_from_db()
    return {"status": export.status, "seconds": (export.finished_at - export.created_at).total_seconds()}


async def test_the_nested_file_of_the_issue_fails_its_own_job_and_the_worker_takes_the_next(owner, job_worker):
    tab = await socket_of(owner)

    started = await upload(owner, hostile.NESTED)
    states = await import_states(tab, started["id"], seconds=30)
    await tab.disconnect()

    assert states[-1]["status"] == "failed"
    # The parser's depth bound refuses it as it reads; without it, the job's memory limit stops it.
    assert "memory" in states[-1]["error"] or "levels deep" in states[-1]["error"], states[-1]
    assert storages["imports"].listdir("")[1] == []
    assert job_worker.poll() is None
    other = await database_sync_to_async(User.objects.create_user)(email="next@example.com", password="pw-12345678")
    assert (await export_of_another_user_finishes(other))["status"] == "done"


async def test_a_file_that_needs_more_memory_than_the_limit_fails_with_that_reason_and_the_worker_lives_on(
    owner, job_worker
):
    tab = await socket_of(owner)

    started = await upload(owner, hostile.many_strings(14_000_000))
    states = await import_states(tab, started["id"], seconds=60)
    await tab.disconnect()

    assert states[-1]["status"] == "failed"
    assert states[-1]["error"].startswith("The file needed more than 512 MB of memory to read"), states[-1]
    assert storages["imports"].listdir("")[1] == []
    assert job_worker.poll() is None
    other = await database_sync_to_async(User.objects.create_user)(email="next@example.com", password="pw-12345678")
    assert (await export_of_another_user_finishes(other))["status"] == "done"


async def test_a_running_import_stays_in_progress_while_it_runs_however_long_it_is_silent(owner, job_worker, settings):
    """Before, a job silent for IMPORT_STALL_SECONDS read as failed while it still ran, and its owner
    could start another beside it; now the worker beats its heart until it is really over."""
    settings.IMPORT_STALL_SECONDS = 3  # as the worker's (tests/conftest.py)
    tab = await socket_of(owner)
    started = await upload(owner, hostile.blank_array(0.25))  # silent for seconds: past the stall time
    await import_states(tab, started["id"], until=("running",), seconds=30)

    second = await database_sync_to_async(upload_answer)(owner, samples.as_json([samples.chatgpt_trip()]))
    while second.status_code == 409:
        job = await database_sync_to_async(ConversationImport.objects.get)(pk=started["id"])
        if job.status != "running":
            break
        assert job.updated_at > timezone.now() - timedelta(seconds=3), "its heart stopped while it ran"
        await asyncio.sleep(0.5)
        second = await database_sync_to_async(upload_answer)(owner, samples.as_json([samples.chatgpt_trip()]))
    await tab.disconnect()

    job = await database_sync_to_async(ConversationImport.objects.get)(pk=started["id"])
    assert second.status_code == 409 or job.status == "done", (second.status_code, job.status, job.updated_at)


def upload_answer(owner, data: bytes):
    client = APIClient()
    client.force_authenticate(owner)
    return client.post("/api/imports/", {"file": SimpleUploadedFile("export.json", data)}, format="multipart")

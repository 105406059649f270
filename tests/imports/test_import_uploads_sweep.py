"""expire_imports (imports.uploads): the uploads no import will read are deleted, those an import
waits to read are kept."""

import io
import os
import time
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from imports import services
from imports.models import ConversationImport
from tests.factories import UserFactory
from tests.imports import samples


def started_import(name: str) -> ConversationImport:
    user = UserFactory(email=f"{name}@example.com")
    upload = ContentFile(samples.as_json([samples.chatgpt_linear(name)]), name=f"{name}.json")
    return services.conversation_import_start(user=user, upload=upload, file_name=f"{name}.json")


def worker_died(job: ConversationImport, *, status: str, silent_for: timedelta) -> None:
    """The row as a worker that died left it: its upload still named."""
    ConversationImport.objects.filter(pk=job.pk).update(status=status, updated_at=timezone.now() - silent_for)


def test_the_uploads_no_import_will_read_are_deleted_and_the_others_kept(db, settings):
    storage = storages["imports"]
    queued, running, stalled, finished = (started_import(name) for name in ("queued", "running", "stalled", "done"))
    worker_died(running, status="running", silent_for=timedelta(seconds=10))
    worker_died(stalled, status="running", silent_for=timedelta(seconds=settings.IMPORT_STALL_SECONDS + 1))
    worker_died(finished, status="failed", silent_for=timedelta(0))
    old_orphan = storage.save("1-1.upload", ContentFile(b"[]"))
    hour_ago = time.time() - 3600
    os.utime(storage.path(old_orphan), (hour_ago, hour_ago))
    new_orphan = storage.save("1-2.upload", ContentFile(b"[]"))  # its import is being recorded

    call_command("expire_imports", stdout=io.StringIO())

    assert sorted(storage.listdir("")[1]) == sorted([queued.file, running.file, new_orphan])
    stalled.refresh_from_db()
    finished.refresh_from_db()
    assert (stalled.status, stalled.file, stalled.finished_at is not None) == ("failed", "", True)
    assert (finished.status, finished.file) == ("failed", "")
    running.refresh_from_db()
    assert (running.status, running.file) == ("running", running.file)


def test_a_queued_import_keeps_its_upload_and_imports_it_after_the_sweep(db):
    queued = started_import("later")

    call_command("expire_imports", stdout=io.StringIO())
    services.conversation_import_run(import_id=str(queued.pk))

    queued.refresh_from_db()
    assert (queued.status, queued.imported, queued.file) == ("done", 1, "")

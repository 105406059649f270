"""The uploads an import left behind: a file waits in the "imports" storage until its job has read
it, and the job deletes it then; one whose worker died mid-import, or whose import was never
recorded, would stay for good. The expiry timer runs `manage.py expire_imports` to sweep them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import storages

from chatproject.jobs.selectors import job_status
from imports.models import ConversationImport

# Uploads looked up in the database at a time.
SWEEP_BATCH = 500


def conversation_import_uploads_sweep(*, now: datetime) -> int:
    """Delete the uploads no import will read: those of a finished or failed import, of a running
    one silent for IMPORT_STALL_SECONDS (its worker is gone: it is marked failed), and those no
    import names that are older than that (younger ones may be an upload whose import is being
    recorded). Queued imports keep theirs. Returns how many were deleted."""
    storage = storages["imports"]
    stale = now - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
    names = storage.listdir("")[1]
    removed = 0
    for start in range(0, len(names), SWEEP_BATCH):
        batch = names[start : start + SWEEP_BATCH]
        owners = {job.file: job for job in ConversationImport.objects.filter(file__in=batch)}
        for name in batch:
            job = owners.get(name)
            if job is None:
                if storage.get_modified_time(name) > stale:
                    continue
            elif not _conversation_import_let_go(job=job, now=now):
                continue
            storage.delete(name)
            removed += 1
    return removed


def _conversation_import_let_go(*, job: ConversationImport, now: datetime) -> bool:
    """Whether the import gives up its upload: it no longer names it (a stalled one is failed, as it
    reads already). A queued or live import keeps it; so does one that moved on meanwhile."""
    status = job_status(job=job)
    if status in (ConversationImport.Status.QUEUED, ConversationImport.Status.RUNNING):
        return False
    changes = {"file": ""}
    if job.status == ConversationImport.Status.RUNNING:
        changes.update(status=ConversationImport.Status.FAILED, finished_at=now)
    unchanged = {"file": job.file, "status": job.status, "updated_at": job.updated_at}
    return ConversationImport.objects.filter(pk=job.pk, **unchanged).update(**changes) == 1

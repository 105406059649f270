"""Account data writes: the whole-account export (a job on chatproject/jobs), removing exports past
their time, deleting accounts with everything they own across the apps."""

import logging
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from account_data.selectors import account_export_state
from accounts.models import AccountExport, User
from accounts.services import sockets_recheck
from chatproject import live
from chatproject.db.commit import after_commit
from chatproject.jobs.limits import JobLimit, JobLimits
from chatproject.jobs.services import JobGone, JobKind, ProgressClock, job_claim, job_run_in_worker, job_save, job_start
from conversation import events
from conversation.models import Session, SessionAudit
from conversation.sessions.lifecycle import sessions_delete
from imports.models import ConversationImport
from sharing.models import Share
from sharing.rendering import share_messages_forget_after_commit

logger = logging.getLogger(__name__)

DELETE_BATCH_SIZE = 1000


@transaction.atomic
def users_delete(*, user_ids: Iterable[int], actor_id: int | None = None) -> tuple[int, int, int]:
    """Delete accounts with their sessions and utterances (and the uploads of their imports); returns
    (users, sessions, utterances).

    The sessions go through conversation's own delete in batches (set-based statements, cached
    context windows forgotten after the commit, an audit row each naming `actor_id` and the
    erasure), so no row is loaded per utterance.

    The accounts' rows are locked first: a session another writer (an import, a second tab) adds
    meanwhile either committed before, and is deleted with the rest, or waits for the lock and then
    finds its owner gone. Without it, one committed between the listing and the delete left the
    account undeletable (a foreign key violation at the commit).
    """
    locked = User.objects.select_for_update().filter(id__in=list(user_ids)).order_by("id")
    ids = list(locked.values_list("id", flat=True))
    # Their links go with them (the database's cascade); their rendered messages leave the cache.
    share_messages_forget_after_commit(shares=Share.objects.filter(user_id__in=ids).only("id", "updated_at"))
    session_ids = list(Session.objects.filter(user_id__in=ids).values_list("id", flat=True))
    sessions = utterances = 0
    for start in range(0, len(session_ids), DELETE_BATCH_SIZE):
        deleted = sessions_delete(
            session_ids=session_ids[start : start + DELETE_BATCH_SIZE],
            announce=False,
            actor_id=actor_id,
            cause=SessionAudit.Cause.ERASURE,
        )
        sessions, utterances = sessions + deleted[0], utterances + deleted[1]
    # Uploads still waiting for their import job: the job of a deleted import never runs.
    waiting = list(ConversationImport.objects.filter(user_id__in=ids).exclude(file="").values_list("file", flat=True))
    after_commit(_import_uploads_delete, names=waiting)
    _, deleted_by_model = User.objects.filter(id__in=ids).delete()
    sockets_recheck(user_ids=ids)
    return deleted_by_model.get(User._meta.label, 0), sessions, utterances


def account_export_start(*, user: User) -> AccountExport:
    """Start a whole-account export as a background job, or answer the one already under way (one
    at a time per account). The job is enqueued in this transaction: a rollback enqueues nothing."""
    export, _ = job_start(kind=ACCOUNT_EXPORT, user=user)
    return export


def account_export_job(*, export_id: str) -> None:
    """The export as the worker runs it (chatproject.jobs.services.job_run_in_worker): the zip is
    written in a child process under the job limits."""
    job_run_in_worker(kind=ACCOUNT_EXPORT, job_id=export_id)


def _export_stopped_reason(limit: JobLimit, limits: JobLimits) -> str:
    if limit == JobLimit.MEMORY:
        return f"The export needed more than {limits.memory_mb} MB of memory, so it was stopped."
    if limit == JobLimit.CPU:
        return f"The export took more than {limits.cpu_seconds} s of processing time, so it was stopped."
    if limit == JobLimit.WALL:
        return f"The export took longer than {round(limits.wall_seconds)} s, so it was stopped."
    return "The export failed. Start it again."


def account_export_build(*, export_id: str) -> None:
    """The export written in this process, without the job limits (tests)."""
    if job_claim(kind=ACCOUNT_EXPORT, job_id=export_id, alone=False) == "running":
        account_export_write(export_id=export_id)


def account_export_write(*, export_id: str) -> None:
    """Writing a running export: the zip into the "exports" storage, reporting progress on the
    export's row (and to the owner's tabs) about once a second. A failure marks the export failed
    and is raised again, so that the job is recorded failed too."""
    if not AccountExport.objects.filter(pk=export_id, status=AccountExport.Status.RUNNING).exists():
        return
    export = AccountExport.objects.select_related("user").get(pk=export_id)
    exported_at = timezone.now()
    export.sessions_total = Session.objects.filter(user=export.user).count()
    _export_report(export, sessions=0, utterances=0)
    clock = ProgressClock()

    def progress(sessions: int, utterances: int) -> None:
        if clock.due():
            _export_report(export, sessions=sessions, utterances=utterances)

    # Imported here, not above: it brings the API's serializers and DRF, which every process that
    # imports the admin (expire_sessions' cron job) would otherwise load for nothing (~10 MB).
    from account_data import archive

    storage, name = storages["exports"], ""
    try:
        with tempfile.TemporaryFile() as out:
            sessions, utterances = archive.account_archive_write(
                user=export.user, out=out, exported_at=exported_at, progress=progress
            )
            out.seek(0)
            name = storage.save(f"{export.pk}.zip", File(out))
        finished = timezone.now()
        export.status, export.file, export.size = AccountExport.Status.DONE, name, storage.size(name)
        export.finished_at, export.expires_at = finished, finished + timedelta(hours=settings.EXPORT_TTL_HOURS)
        _export_report(export, sessions=sessions, utterances=utterances)
    except JobGone:
        if name:
            storage.delete(name)
    except MemoryError:
        if name:
            storage.delete(name)
        raise  # past the job's memory limit: its worker records why (job_run_in_worker)
    except Exception:
        if name:
            storage.delete(name)
        logger.exception("Account export %s failed", export_id)
        export.status, export.error = AccountExport.Status.FAILED, "The export failed. Start it again."
        export.finished_at = timezone.now()
        _export_report(export, sessions=export.sessions_done, utterances=export.utterances_done)
        raise


def _export_report(export: AccountExport, *, sessions: int, utterances: int) -> None:
    """Save the export's progress and state, and tell its owner's tabs (account.export); JobGone
    when its row is gone (its account erased)."""
    export.sessions_done, export.utterances_done = sessions, utterances
    fields = ["status", "sessions_total", "sessions_done", "utterances_done"]
    job_save(job=export, fields=[*fields, "file", "size", "error", "finished_at", "expires_at"])
    event = events.account_export(state=account_export_state(export=export))
    live.publish_now([(live.user_group(export.user_id), event)])


ACCOUNT_EXPORT = JobKind(
    name="export",
    model=AccountExport,
    task="account_data.tasks.account_export_build",
    argument="export_id",
    work="account_data.services.account_export_write",
    stopped_reason=_export_stopped_reason,
    report=lambda export: _export_report(export, sessions=export.sessions_done, utterances=export.utterances_done),
)


def account_exports_expire(*, now: datetime) -> int:
    """Remove the files of exports past their time (the rows stay, as a record); returns how many."""
    storage = storages["exports"]
    expired = list(AccountExport.objects.filter(expires_at__lt=now).exclude(file="").values_list("pk", "file"))
    for export_id, name in expired:
        AccountExport.objects.filter(pk=export_id).update(file="")
        storage.delete(name)
    return len(expired)


@transaction.atomic
@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase an account at its owner's request: its sessions (audited as erasure), device tokens,
    exports and their files, its log-in attempts' records, the account itself; its sockets close."""
    files = [name for name in AccountExport.objects.filter(user=user).values_list("file", flat=True) if name]
    after_commit(_export_files_delete, names=files)
    after_commit(_throttle_counters_forget, user_id=user.pk)
    AccessAttempt.objects.filter(username__iexact=user.email).delete()
    AccessLog.objects.filter(username__iexact=user.email).delete()
    AccessFailureLog.objects.filter(username__iexact=user.email).delete()
    users_delete(user_ids=[user.pk], actor_id=user.pk)


def _throttle_counters_forget(*, user_id: int) -> None:
    """The account's rate counters (chatproject/api/throttling.py: throttle_<scope>_<id>:<window>);
    django-redis finds them by pattern (local memory forgets them when their window ends)."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern(f"throttle_*_{user_id}:*")


def _import_uploads_delete(*, names: list[str]) -> None:
    storage = storages["imports"]
    for name in names:
        storage.delete(name)


def _export_files_delete(*, names: list[str]) -> None:
    storage = storages["exports"]
    for name in names:
        storage.delete(name)

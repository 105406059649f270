"""Account writes: settings, device tokens, the re-check of open sockets, deleting an account with all
it owns."""

import contextlib
import json
import logging
import tempfile
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts import tasks
from accounts.models import AccountExport, DeviceToken, User
from accounts.selectors import account_export_in_progress, account_export_state, retention_choices
from chatproject import jobs
from conversation import events
from conversation.models import Session, SessionAudit
from conversation.sessions.lifecycle import sessions_delete
from imports.models import ConversationImport
from imports.selectors import jobs_running_for_user

logger = logging.getLogger(__name__)

DELETE_BATCH_SIZE = 1000
UNSET: Any = object()
# How often a running export saves its progress and tells the owner's tabs.
EXPORT_PROGRESS_SECONDS = 1.0


class AccountErased(Exception):
    """The account of a running export was erased: the export stops."""


def sockets_recheck(*, user_ids: Iterable[int], tokens_only: bool = False) -> None:
    """After the commit, ask the users' open sockets to check their credentials again: each one whose
    log-in session or device token is no longer valid closes with 4401 (ChatConsumer.auth_recheck).

    `tokens_only` asks only the sockets opened with a device token (a password being saved: the
    browser that changes it has its session updated after the save, and asks the others itself).
    """
    event = {"type": "auth.recheck", "tokens_only": tokens_only}
    events.publish_after_commit([(events.user_group(user_id), event) for user_id in user_ids])


@transaction.atomic
def device_token_create(*, user: User, name: str) -> tuple[DeviceToken, str]:
    """A new named token; returns it with its key, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name, such as the program or device that will use it.")
    # The user's row is locked so that two creations at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    live = DeviceToken.objects.filter(user=user, expiry__gt=timezone.now()).count()
    if live >= settings.MAX_DEVICE_TOKENS_PER_USER:
        raise ValidationError(
            f"You have {live} device tokens, the most allowed: revoke one you no longer use, then try again."
        )
    token, key = DeviceToken.objects.create(user=user, name=name[:100], last_used_at=timezone.now())
    return token, key


def device_token_touch(*, token: DeviceToken, now: datetime) -> None:
    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def device_token_revoke(*, user: User, public_id: uuid.UUID | str) -> None:
    """Revoke one of the user's tokens; DeviceToken.DoesNotExist for any other id."""
    deleted, _ = DeviceToken.objects.filter(user=user, public_id=public_id).delete()
    if not deleted:
        raise DeviceToken.DoesNotExist
    sockets_recheck(user_ids=[user.pk])


@transaction.atomic
def device_tokens_revoke_all(*, user: User) -> int:
    deleted, _ = DeviceToken.objects.filter(user=user).delete()
    sockets_recheck(user_ids=[user.pk], tokens_only=True)
    return deleted


def device_tokens_delete_expired(*, now: datetime) -> int:
    deleted, _ = DeviceToken.objects.filter(expiry__lt=now).delete()
    return deleted


@transaction.atomic
def users_delete(*, user_ids: Iterable[int], actor_id: int | None = None) -> tuple[int, int, int]:
    """Delete accounts with their sessions and utterances (and the uploads of their imports); returns
    (users, sessions, utterances).

    The sessions go through conversation's own delete in batches (set-based statements, cached
    context windows forgotten after the commit, an audit row each naming `actor_id` and the
    erasure), so no row is loaded per utterance.
    """
    ids = list(user_ids)
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
    events.after_commit(_import_uploads_delete, names=waiting)
    _, deleted_by_model = User.objects.filter(id__in=ids).delete()
    sockets_recheck(user_ids=ids)
    return deleted_by_model.get(User._meta.label, 0), sessions, utterances


def account_settings_update(*, user: User, retention_days: Any = UNSET) -> User:
    """Change the user's settings; a value the deployment does not offer is a ValidationError."""
    if retention_days is not UNSET:
        choices = retention_choices(cap=settings.SESSION_RETENTION_DAYS)
        if isinstance(retention_days, bool) or retention_days not in choices:
            offered = ", ".join("null (keep)" if days is None else str(days) for days in choices)
            raise ValidationError({"retention_days": f"Choose one of {offered}."})
        user.retention_days = retention_days
        user.save(update_fields=["retention_days"])
    return user


@transaction.atomic
def account_export_start(*, user: User) -> AccountExport:
    """Start a whole-account export as a background job, or answer the one already under way (one
    at a time per account). The job is enqueued in this transaction: a rollback enqueues nothing."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = account_export_in_progress(user=user)
    if current is not None:
        return current
    export = AccountExport.objects.create(user=user)
    tasks.account_export_build.enqueue(export_id=str(export.pk))
    return export


def account_export_job(*, export_id: str) -> None:
    """The export as the worker runs it: the zip is written in a child process under the job limits
    (chatproject/jobs.py), which the worker keeps alive while it runs; one the limits stop is marked
    failed with the reason. When its owner has another job running it goes back to the queue for
    JOB_DEFER_SECONDS instead, so one user never holds two workers."""
    claimed = _account_export_claim(export_id=export_id, alone=True)
    if claimed == "busy":
        run_after = timezone.now() + timedelta(seconds=settings.JOB_DEFER_SECONDS)
        tasks.account_export_build.using(run_after=run_after).enqueue(export_id=export_id)
        return
    if claimed != "running":
        return
    limits = jobs.JobLimits.from_settings()
    outcome = jobs.job_run_limited(
        function="accounts.services.account_export_write",
        arguments={"export_id": export_id},
        limits=limits,
        heartbeat=lambda: AccountExport.objects.filter(pk=export_id, status=AccountExport.Status.RUNNING).update(
            updated_at=timezone.now()
        ),
        heartbeat_seconds=min(10.0, settings.EXPORT_STALL_SECONDS / 3),
    )
    if outcome.stopped_by is not None:
        _account_export_stop(export_id=export_id, limit=outcome.stopped_by, limits=limits)
        raise jobs.JobStopped(f"export {export_id}: {outcome}")  # the task is recorded failed too


def _account_export_claim(*, export_id: str, alone: bool) -> str:
    """Move a queued export to running: "running", "busy" (`alone`, and its owner has another job
    running: it stays queued) or "gone" (ran already, a job delivered twice, or its account erased)."""
    with transaction.atomic():
        queued = AccountExport.objects.filter(pk=export_id, status=AccountExport.Status.QUEUED)
        user_id = queued.values_list("user_id", flat=True).first()
        if user_id is None:
            return "gone"
        User.objects.select_for_update().filter(pk=user_id).first()  # one claim of the user's at a time
        if alone and jobs_running_for_user(user_id=user_id):
            return "busy"
        started = queued.update(status=AccountExport.Status.RUNNING, updated_at=timezone.now())
    return "running" if started else "gone"


def _account_export_stop(*, export_id: str, limit: jobs.JobLimit, limits: jobs.JobLimits) -> None:
    """An export whose child process a limit stopped (or that crashed): failed with the reason unless
    it finished (a crash keeps the reason the export gave itself), its owner's tabs told."""
    export = AccountExport.objects.filter(pk=export_id).first()
    if export is None or export.status == AccountExport.Status.DONE:
        return
    if limit == jobs.JobLimit.MEMORY:
        reason = f"The export needed more than {limits.memory_mb} MB of memory, so it was stopped."
    elif limit == jobs.JobLimit.CPU:
        reason = f"The export took more than {limits.cpu_seconds} s of processing time, so it was stopped."
    elif limit == jobs.JobLimit.WALL:
        reason = f"The export took longer than {round(limits.wall_seconds)} s, so it was stopped."
    else:
        reason = export.error or "The export failed. Start it again."
    export.status, export.error = AccountExport.Status.FAILED, reason
    export.finished_at = export.finished_at or timezone.now()
    with contextlib.suppress(AccountErased):
        _export_report(export, sessions=export.sessions_done, utterances=export.utterances_done)


def account_export_build(*, export_id: str) -> None:
    """The export written in this process, without the job limits (tests)."""
    if _account_export_claim(export_id=export_id, alone=False) == "running":
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
    last_report = time.monotonic()

    def progress(sessions: int, utterances: int) -> None:
        nonlocal last_report
        if time.monotonic() - last_report >= EXPORT_PROGRESS_SECONDS:
            _export_report(export, sessions=sessions, utterances=utterances)
            last_report = time.monotonic()

    # Imported here, not above: it brings the API's serializers and DRF, which every process that
    # imports the admin (expire_sessions' cron job) would otherwise load for nothing (~10 MB).
    from accounts import archive

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
    except AccountErased:
        if name:
            storage.delete(name)
    except MemoryError:
        if name:
            storage.delete(name)
        raise  # past the job's memory limit: its worker records why (account_export_job)
    except Exception:
        if name:
            storage.delete(name)
        logger.exception("Account export %s failed", export_id)
        export.status, export.error = AccountExport.Status.FAILED, "The export failed. Start it again."
        export.finished_at = timezone.now()
        _export_report(export, sessions=export.sessions_done, utterances=export.utterances_done)
        raise


def _export_report(export: AccountExport, *, sessions: int, utterances: int) -> None:
    """Save the export's progress and state, and tell its owner's tabs (account.export)."""
    export.sessions_done, export.utterances_done, export.updated_at = sessions, utterances, timezone.now()
    fields = ["status", "sessions_total", "sessions_done", "utterances_done", "updated_at"]
    fields += ["file", "size", "error", "finished_at", "expires_at"]
    if not AccountExport.objects.filter(pk=export.pk).update(**{field: getattr(export, field) for field in fields}):
        raise AccountErased
    # Times spelled as the API spells them (DjangoJSONEncoder, as DRF: "...Z").
    state = json.loads(json.dumps(account_export_state(export=export), cls=DjangoJSONEncoder))
    event = {"type": "account.export", "export": state}
    events.publish_now([(events.user_group(export.user_id), event)])


def account_exports_expire(*, now: datetime) -> int:
    """Remove the files of exports past their time (the rows stay, as a record); returns how many."""
    storage = storages["exports"]
    expired = list(AccountExport.objects.filter(expires_at__lt=now).exclude(file="").values_list("pk", "file"))
    for export_id, name in expired:
        AccountExport.objects.filter(pk=export_id).update(file="")
        storage.delete(name)
    return len(expired)


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase an account at its owner's request: its sessions (audited as erasure), device tokens,
    exports and their files, its log-in attempts' records, the account itself; its sockets close."""
    files = [name for name in AccountExport.objects.filter(user=user).values_list("file", flat=True) if name]
    events.after_commit(_export_files_delete, names=files)
    events.after_commit(_throttle_counters_forget, user_id=user.pk)
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

"""Import writes: start an import of an uploaded file, and the job that reads it conversation by
conversation into sessions (conversation.services.conversation_import), with its progress and report."""

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, transaction
from django.utils import timezone

from accounts.models import User
from chatproject import jobs
from conversation import events
from conversation.models import ImportedConversation, Persona, Session
from conversation.sessions.personas import persona_resolve
from imports import formats, tasks
from imports.models import ConversationImport, ConversationImportRow
from imports.selectors import conversation_import_in_progress, conversation_import_state, jobs_running_for_user
from imports.writer import ImportedMessage, conversation_import

logger = logging.getLogger(__name__)

# How often a running import saves its progress and report rows, and tells the owner's tabs.
IMPORT_PROGRESS_SECONDS = 1.0
# The most sessions one report tells the tabs of (the newest): a sidebar shows the newest first.
IMPORT_ANNOUNCE_SESSIONS = 100


class ImportBusy(Exception):
    """The account has an import under way: one at a time."""


class ImportGone(Exception):
    """The import's row is gone (its account was erased): the job stops."""


def conversation_import_start(*, user: User, upload: File, file_name: str, format_hint: str = "") -> ConversationImport:
    """Keep the upload in the "imports" storage (moved there when it is on disk already, as Django's
    temporary uploads are) and enqueue its job in the transaction that records it. ImportBusy while
    another import of the account runs; ValidationError for a format this product does not read."""
    if format_hint and format_hint not in formats.FORMATS:
        raise ValidationError({"format": f"Unknown format {format_hint!r}: use one of {', '.join(formats.FORMATS)}."})
    storage = storages["imports"]
    name = storage.save(f"{user.pk}-{int(time.time() * 1000)}.upload", upload)
    with contextlib.suppress(FileNotFoundError):  # a temporary upload was moved, not copied
        upload.close()
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            if conversation_import_in_progress(user=user) is not None:
                raise ImportBusy
            started = ConversationImport.objects.create(
                user=user, format=format_hint, file_name=file_name[:255], file=name, size=storage.size(name)
            )
            tasks.conversation_import_run.enqueue(import_id=str(started.pk))
    except BaseException:
        storage.delete(name)
        raise
    return started


def conversation_import_file(
    *, user: User, path: str, format_hint: str = "", progress: Callable[[ConversationImport], None] | None = None
) -> ConversationImport:
    """Import a file read in place (the operators' command), as the job does an upload, recorded
    the same way; returns the finished import."""
    if format_hint and format_hint not in formats.FORMATS:
        raise ValidationError({"format": f"Unknown format {format_hint!r}: use one of {', '.join(formats.FORMATS)}."})
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        job = ConversationImport.objects.create(
            user=user, format=format_hint, file_name=os.path.basename(path)[:255], size=size
        )
        conversation_import_run(import_id=str(job.pk), stream=stream, progress=progress)
    job.refresh_from_db()
    return job


def conversation_import_job(*, import_id: str) -> None:
    """The import as the worker runs it: reading the file happens in a child process under the job
    limits (chatproject/jobs.py), which the worker keeps alive while it runs; one the limits stop is
    marked failed with the reason, its upload deleted. When its owner has another job running it
    goes back to the queue for JOB_DEFER_SECONDS instead, so one user never holds two workers."""
    claimed = _conversation_import_claim(import_id=import_id, alone=True)
    if claimed == "busy":
        run_after = timezone.now() + timedelta(seconds=settings.JOB_DEFER_SECONDS)
        tasks.conversation_import_run.using(run_after=run_after).enqueue(import_id=import_id)
        return
    if claimed != "running":
        return
    limits = jobs.JobLimits.from_settings()
    outcome = jobs.job_run_limited(
        function="imports.services.conversation_import_read",
        arguments={"import_id": import_id},
        limits=limits,
        heartbeat=lambda: ConversationImport.objects.filter(
            pk=import_id, status=ConversationImport.Status.RUNNING
        ).update(updated_at=timezone.now()),
        heartbeat_seconds=min(10.0, settings.IMPORT_STALL_SECONDS / 3),
    )
    if outcome.stopped_by is not None:
        _conversation_import_stop(import_id=import_id, limit=outcome.stopped_by, limits=limits)
        raise jobs.JobStopped(f"import {import_id}: {outcome}")  # the task is recorded failed too


def _conversation_import_claim(*, import_id: str, alone: bool) -> str:
    """Move a queued import to running: "running", "busy" (`alone`, and its owner has another job
    running: it stays queued) or "gone" (ran already, a job delivered twice, or its account erased)."""
    with transaction.atomic():
        user_id = (
            ConversationImport.objects.filter(pk=import_id, status=ConversationImport.Status.QUEUED)
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id is None:
            return "gone"
        User.objects.select_for_update().filter(pk=user_id).first()  # one claim of the user's at a time
        if alone and jobs_running_for_user(user_id=user_id):
            return "busy"
        started = ConversationImport.objects.filter(pk=import_id, status=ConversationImport.Status.QUEUED).update(
            status=ConversationImport.Status.RUNNING, updated_at=timezone.now()
        )
    return "running" if started else "gone"


def _stopped_reason(limit: jobs.JobLimit, limits: jobs.JobLimits) -> str:
    then = " What it imported before stays: start it again with a smaller file."
    if limit == jobs.JobLimit.MEMORY:
        return f"The file needed more than {limits.memory_mb} MB of memory to read, so its import was stopped.{then}"
    if limit == jobs.JobLimit.CPU:
        return f"Reading the file took more than {limits.cpu_seconds} s of processing time, so it was stopped.{then}"
    if limit == jobs.JobLimit.WALL:
        return f"The import took longer than {round(limits.wall_seconds)} s, so it was stopped.{then}"
    return "The import stopped on an error. Start it again."


def _conversation_import_stop(*, import_id: str, limit: jobs.JobLimit, limits: jobs.JobLimits) -> None:
    """An import whose child process a limit stopped (or that crashed): failed with the reason unless
    it finished (a crash keeps the reason the import gave itself), its upload deleted, its owner's
    tabs told."""
    job = ConversationImport.objects.select_related("user").filter(pk=import_id).first()
    if job is None:
        return
    if job.file:
        storages["imports"].delete(job.file)
        job.file = ""
    if job.status != ConversationImport.Status.DONE and not (
        limit == jobs.JobLimit.CRASH and job.status == ConversationImport.Status.FAILED
    ):
        job.status, job.error = ConversationImport.Status.FAILED, _stopped_reason(limit, limits)[:500]
    job.finished_at = job.finished_at or timezone.now()
    with contextlib.suppress(ImportGone):
        _report(job, [], None)


def conversation_import_run(
    *, import_id: str, stream: IO[bytes] | None = None, progress: Callable[[ConversationImport], None] | None = None
) -> None:
    """The import read in this process, without the job limits: the operators' command (a file of
    their own) and tests. `stream` reads a file in place; `progress(import)` is told of each report."""
    if _conversation_import_claim(import_id=import_id, alone=False) == "running":
        conversation_import_read(import_id=import_id, stream=stream, progress=progress)


def conversation_import_read(
    *, import_id: str, stream: IO[bytes] | None = None, progress: Callable[[ConversationImport], None] | None = None
) -> None:
    """Reading a running import: read the file as a stream, import each conversation in its own
    transaction, and save progress and report rows about once a second. A file that cannot be read
    (or breaks off) marks the import failed with the reason; the conversations imported before stay.
    The upload is deleted once read, whatever happened."""
    if not ConversationImport.objects.filter(pk=import_id, status=ConversationImport.Status.RUNNING).exists():
        return
    job = ConversationImport.objects.select_related("user").get(pk=import_id)
    storage = storages["imports"]
    rows: list[ConversationImportRow] = []
    try:
        with stream if stream is not None else storage.open(job.file, "rb") as source:
            reader = formats.conversations_open(source, format_hint=job.format)
            job.format, job.conversations_total = reader.format, reader.total
            _report(job, rows, progress)
            personas = {persona.slug: persona for persona in Persona.objects.all()}
            personas[""] = persona_resolve(persona=None)
            last_report = time.monotonic()
            failed = 0
            for position, conversation in enumerate(reader.conversations, start=1):
                if position > settings.IMPORT_MAX_CONVERSATIONS:
                    raise formats.ImportFileError(
                        f"The file holds more than {settings.IMPORT_MAX_CONVERSATIONS:,} conversations, more than one "
                        "import takes: the import stopped there (the conversations before it are imported)."
                    )
                persona = personas.get(conversation.persona) or personas[""]
                rows.append(_conversation_import(job, conversation, position=position, persona=persona))
                failed += rows[-1].result == ConversationImportRow.Result.FAILED
                if failed > settings.IMPORT_MAX_FAILED_CONVERSATIONS:
                    raise formats.ImportFileError(
                        f"More than {settings.IMPORT_MAX_FAILED_CONVERSATIONS:,} conversations of this file could not "
                        "be read, so it is probably not an export this product reads: the import stopped there."
                    )
                job.conversations_done = position
                job.bytes_done = reader.position()
                if time.monotonic() - last_report >= IMPORT_PROGRESS_SECONDS:
                    _report(job, rows, progress)
                    last_report = time.monotonic()
        job.status = ConversationImport.Status.DONE
    except formats.ImportFileError as exc:
        job.status, job.error = ConversationImport.Status.FAILED, str(exc)[:500]
    except ImportGone:
        job.status = ""
    except MemoryError:
        job.status = ""  # past the job's memory limit: its worker records why (conversation_import_job)
        raise
    except Exception:
        logger.exception("Import %s failed", import_id)
        job.status, job.error = ConversationImport.Status.FAILED, "The import stopped on an error. Start it again."
        raise
    finally:
        if job.file:
            storage.delete(job.file)
            job.file = ""
        if job.status:
            job.finished_at = timezone.now()
            if job.status == ConversationImport.Status.RUNNING:
                job.status = ConversationImport.Status.FAILED
            with contextlib.suppress(ImportGone):
                _report(job, rows, progress)


# The longest source id kept (ImportedConversation.source_id's column).
SOURCE_ID_CHARS = ImportedConversation._meta.get_field("source_id").max_length


def _conversation_import(job: ConversationImport, conversation: formats.SourceConversation, *, position, persona):
    """One conversation into the account: its report row, the job's counts moved on."""
    row = ConversationImportRow(
        conversation_import=job,
        position=position,
        source_id=formats.storable(conversation.id)[:200],
        title=formats.storable(conversation.title)[:200],
    )
    try:
        if conversation.problem:
            raise formats.ConversationProblem(conversation.problem)
        if not conversation.id:
            raise formats.ConversationProblem("It has no id, so a second import could not find it.")
        formats.id_check(conversation.id, what="Its id", max_chars=SOURCE_ID_CHARS)
        tree = formats.conversation_tree(conversation)
        job.skipped_turns += tree.skipped
        for index, node in enumerate(tree.messages, start=1):
            formats.id_check(node.id, what=f"The id of message {index}")
        # Texts lose what no database keeps (NUL, unpaired surrogates) rather than the conversation.
        messages = [
            ImportedMessage(
                id=node.id,
                parent_id=tree.parents[node.id],
                role=node.role,
                text=formats.storable(node.text),
                created_at=node.created_at or timezone.now(),
                metadata=node.metadata,
            )
            for node in tree.messages
        ]
        outcome = conversation_import(
            user=job.user,
            source=conversation.source,
            source_id=conversation.id,
            title=formats.storable(conversation.title),
            messages=messages,
            head_id=tree.head_id,
            created_at=conversation.created_at,
            last_activity_at=conversation.updated_at,
            persona=persona,
            state=conversation.state,
        )
    except formats.ConversationProblem as exc:
        row.result, row.error = ConversationImportRow.Result.FAILED, str(exc)[:500]
    except ValidationError as exc:
        row.result, row.error = ConversationImportRow.Result.FAILED, _reason(exc)[:500]
    except DataError as exc:  # a value the checks above missed, refused by the database: this one fails
        logger.warning("Import %s: conversation %s not stored: %s", job.pk, position, exc)
        row.result, row.error = ConversationImportRow.Result.FAILED, "It holds a value the database cannot store."
    else:
        row.result, row.session_id, row.utterances = outcome.result, outcome.session_id, outcome.stored
        job.utterances += outcome.stored
    if row.result == ConversationImportRow.Result.FAILED:
        job.failed += 1
    elif row.result == ConversationImportRow.Result.PRESENT:
        job.present += 1
    else:
        job.imported += 1
    return row


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{where}: {' '.join(texts)}" for where, texts in exc.message_dict.items())
    return " ".join(exc.messages)


def _report(job: ConversationImport, rows: list[ConversationImportRow], progress) -> None:
    arrived = [row.session_id for row in rows if row.result in ("imported", "updated")]
    """Save the job's state and the report rows gathered, and tell the owner's tabs (account.import).
    ImportGone when the import's row is gone."""
    job.updated_at = timezone.now()
    job.error = formats.storable(job.error)  # it may quote the file
    fields = [
        "status",
        "format",
        "file",
        "conversations_total",
        "conversations_done",
        "bytes_done",
        "utterances",
        "imported",
        "present",
        "failed",
        "skipped_turns",
        "error",
        "updated_at",
        "finished_at",
    ]
    if not ConversationImport.objects.filter(pk=job.pk).update(**{field: getattr(job, field) for field in fields}):
        raise ImportGone
    ConversationImportRow.objects.bulk_create(rows)
    rows.clear()
    if progress is not None:
        progress(job)
    # Times spelled as the API spells them (DjangoJSONEncoder, as DRF: "...Z").
    state = json.loads(json.dumps(conversation_import_state(conversation_import=job), cls=DjangoJSONEncoder))
    live = []
    if arrived:
        # The chat page's sidebar places each at its own time, as a session.updated.
        sessions = Session.objects.filter(pk__in=arrived).order_by("-last_activity_at")[:IMPORT_ANNOUNCE_SESSIONS]
        summaries = [events.session_summary(session) for session in sessions]
        live.append((events.user_group(job.user_id), {"type": "sessions.imported", "sessions": summaries}))
    live.append((events.user_group(job.user_id), {"type": "account.import", "import": state}))
    events.publish_now(live)

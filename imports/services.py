"""Import writes: start an import of an uploaded file, and the job that reads it conversation by
conversation into sessions (imports.writer.conversation_import), with its progress and report."""

import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import DataError
from django.utils import timezone

from accounts.models import User
from chatproject import live
from chatproject.jobs.limits import JobLimit, JobLimits
from chatproject.jobs.services import (
    JobGone,
    JobKind,
    ProgressClock,
    job_claim,
    job_run_in_worker,
    job_save,
    job_start,
)
from conversation import events
from conversation.models import ImportedConversation, Persona, Session
from conversation.sessions.personas import persona_resolve
from imports import formats, source
from imports.models import ConversationImport, ConversationImportRow
from imports.organize import folders_restore
from imports.selectors import conversation_import_state
from imports.writer import ImportedMessage, conversation_import

logger = logging.getLogger(__name__)

# The most sessions one report tells the tabs of (the newest): a sidebar shows the newest first.
IMPORT_ANNOUNCE_SESSIONS = 100


class ImportBusy(Exception):
    """The account has an import under way: one at a time."""


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
        started, new = job_start(
            kind=CONVERSATION_IMPORT,
            user=user,
            format=format_hint,
            file_name=file_name[:255],
            file=name,
            size=storage.size(name),
        )
        if not new:
            raise ImportBusy
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
    """The import as the worker runs it (chatproject.jobs.services.job_run_in_worker): the file is
    read in a child process under the job limits; one the limits stop has its upload deleted."""
    job_run_in_worker(kind=CONVERSATION_IMPORT, job_id=import_id)


def _stopped_reason(limit: JobLimit, limits: JobLimits) -> str:
    then = " What it imported before stays: start it again with a smaller file."
    if limit == JobLimit.MEMORY:
        return f"The file needed more than {limits.memory_mb} MB of memory to read, so its import was stopped.{then}"
    if limit == JobLimit.CPU:
        return f"Reading the file took more than {limits.cpu_seconds} s of processing time, so it was stopped.{then}"
    if limit == JobLimit.WALL:
        return f"The import took longer than {round(limits.wall_seconds)} s, so it was stopped.{then}"
    return "The import stopped on an error. Start it again."


def _conversation_import_release(job: ConversationImport) -> bool:
    """Delete the upload of an import a limit stopped; True when it had one."""
    if not job.file:
        return False
    storages["imports"].delete(job.file)
    job.file = ""
    return True


def conversation_import_run(
    *, import_id: str, stream: IO[bytes] | None = None, progress: Callable[[ConversationImport], None] | None = None
) -> None:
    """The import read in this process, without the job limits: the operators' command (a file of
    their own) and tests. `stream` reads a file in place; `progress(import)` is told of each report."""
    if job_claim(kind=CONVERSATION_IMPORT, job_id=import_id, alone=False) == "running":
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
        with stream if stream is not None else storage.open(job.file, "rb") as upload:
            reader = formats.conversations_open(upload, format_hint=job.format)
            job.format, job.conversations_total = reader.format, reader.total
            _report(job, rows, progress)
            personas = {persona.slug: persona for persona in Persona.objects.all()}
            personas[""] = persona_resolve(persona=None)
            folder_ids = folders_restore(user=job.user, folders=reader.folders)
            clock = ProgressClock()
            failed = 0
            for position, conversation in enumerate(reader.conversations, start=1):
                if position > settings.IMPORT_MAX_CONVERSATIONS:
                    raise formats.ImportFileError(
                        f"The file holds more than {settings.IMPORT_MAX_CONVERSATIONS:,} conversations, more than one "
                        "import takes: the import stopped there (the conversations before it are imported)."
                    )
                persona = personas.get(conversation.persona) or personas[""]
                folder_id = folder_ids.get(conversation.folder)
                rows.append(
                    _conversation_import(job, conversation, position=position, persona=persona, folder_id=folder_id)
                )
                failed += rows[-1].result == ConversationImportRow.Result.FAILED
                if failed > settings.IMPORT_MAX_FAILED_CONVERSATIONS:
                    raise formats.ImportFileError(
                        f"More than {settings.IMPORT_MAX_FAILED_CONVERSATIONS:,} conversations of this file could not "
                        "be read, so it is probably not an export this product reads: the import stopped there."
                    )
                job.conversations_done = position
                job.bytes_done = reader.position()
                if clock.due():
                    _report(job, rows, progress)
        job.status = ConversationImport.Status.DONE
    except formats.ImportFileError as exc:
        job.status, job.error = ConversationImport.Status.FAILED, str(exc)[:500]
    except JobGone:
        job.status = ""
    except MemoryError:
        job.status = ""  # past the job's memory limit: its worker records why (job_run_in_worker)
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
            with contextlib.suppress(JobGone):
                _report(job, rows, progress)


# The longest source id kept (ImportedConversation.source_id's column).
SOURCE_ID_CHARS = ImportedConversation._meta.get_field("source_id").max_length


def _conversation_import(
    job: ConversationImport, conversation: source.SourceConversation, *, position, persona, folder_id=None
):
    """One conversation into the account: its report row, the job's counts moved on."""
    row = ConversationImportRow(
        conversation_import=job,
        position=position,
        source_id=source.storable(conversation.id)[:200],
        title=source.storable(conversation.title)[:200],
    )
    try:
        if conversation.problem:
            raise source.ConversationProblem(conversation.problem)
        if not conversation.id:
            raise source.ConversationProblem("It has no id, so a second import could not find it.")
        source.id_check(conversation.id, what="Its id", max_chars=SOURCE_ID_CHARS)
        tree = source.conversation_tree(conversation)
        job.skipped_turns += tree.skipped
        for index, node in enumerate(tree.messages, start=1):
            source.id_check(node.id, what=f"The id of message {index}")
        # Texts lose what no database keeps (NUL, unpaired surrogates) rather than the conversation.
        messages = [
            ImportedMessage(
                id=node.id,
                parent_id=tree.parents[node.id],
                role=node.role,
                text=source.storable(node.text),
                created_at=node.created_at or timezone.now(),
                metadata=node.metadata,
            )
            for node in tree.messages
        ]
        outcome = conversation_import(
            user=job.user,
            source=conversation.source,
            source_id=conversation.id,
            title=source.storable(conversation.title),
            messages=messages,
            head_id=tree.head_id,
            created_at=conversation.created_at,
            last_activity_at=conversation.updated_at,
            persona=persona,
            state=conversation.state,
            folder_id=folder_id,
            tags=conversation.tags,
            title_source=conversation.title_source,
        )
    except source.ConversationProblem as exc:
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
    """Save the job's state and the report rows gathered, and tell the owner's tabs (account.import).
    JobGone when the import's row is gone."""
    arrived = [row.session_id for row in rows if row.result in ("imported", "updated")]
    job.error = source.storable(job.error)  # it may quote the file
    fields = ["status", "format", "file", "conversations_total", "conversations_done", "bytes_done", "utterances"]
    job_save(job=job, fields=[*fields, "imported", "present", "failed", "skipped_turns", "error", "finished_at"])
    ConversationImportRow.objects.bulk_create(rows)
    rows.clear()
    if progress is not None:
        progress(job)
    announced = []
    if arrived:
        # The chat page's sidebar places each at its own time, as a session.updated.
        sessions = Session.objects.filter(pk__in=arrived).order_by("-last_activity_at")[:IMPORT_ANNOUNCE_SESSIONS]
        announced.append((live.user_group(job.user_id), events.sessions_imported(sessions=sessions)))
    state = conversation_import_state(conversation_import=job)
    announced.append((live.user_group(job.user_id), events.account_import(state=state)))
    live.publish_now(announced)


CONVERSATION_IMPORT = JobKind(
    name="import",
    model=ConversationImport,
    task="imports.tasks.conversation_import_run",
    argument="import_id",
    work="imports.services.conversation_import_read",
    stopped_reason=_stopped_reason,
    report=lambda job: _report(job, [], None),
    release=_conversation_import_release,
)

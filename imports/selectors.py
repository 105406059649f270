"""Import reads: an import's state as the API, the page and the live event show it, the user's
imports and an import's report."""

from django.db.models import QuerySet

from accounts.models import User
from chatproject.jobs.selectors import job_get, job_list_for_user, job_status
from imports.models import ConversationImport, ConversationImportRow


def conversation_import_state(*, conversation_import: ConversationImport) -> dict:
    job = conversation_import
    status = job_status(job=job)
    error = job.error
    if status == ConversationImport.Status.FAILED and not error:
        error = "The import was interrupted. Start it again: what it imported stays, and is not imported twice."
    return {
        "id": str(job.pk),
        "status": status,
        "format": job.format or None,
        "file_name": job.file_name,
        "progress": {
            "conversations_done": job.conversations_done,
            "conversations_total": job.conversations_total,
            "utterances": job.utterances,
            "bytes_done": job.bytes_done,
            "bytes_total": job.size,
        },
        "summary": {
            "imported": job.imported,
            "present": job.present,
            "failed": job.failed,
            "skipped_turns": job.skipped_turns,
        },
        "error": error or None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def conversation_import_get(*, user: User, import_id) -> ConversationImport:
    """One of the user's imports; ConversationImport.DoesNotExist for another user's or a malformed id."""
    return job_get(model=ConversationImport, user=user, job_id=import_id)


def conversation_import_list_for_user(*, user: User) -> QuerySet[ConversationImport]:
    """The user's imports, newest first (conversationimport_user_idx); the API pages it."""
    return job_list_for_user(model=ConversationImport, user=user)


def conversation_import_rows(*, conversation_import: ConversationImport) -> QuerySet[ConversationImportRow]:
    """The import's report in file order (importrow_position_unique); the API pages it."""
    return ConversationImportRow.objects.filter(conversation_import=conversation_import).order_by("position")

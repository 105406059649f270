"""Import reads: an import's state as the API, the page and the live event show it, the user's
imports and an import's report."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import AccountExport, User
from accounts.selectors import account_export_status
from imports.models import ConversationImport, ConversationImportRow


def conversation_import_status(*, conversation_import: ConversationImport) -> str:
    """Its status as people see it: a running import silent for IMPORT_STALL_SECONDS was cut off
    (its worker stopped) and reads as failed."""
    if (
        conversation_import.status == ConversationImport.Status.RUNNING
        and (timezone.now() - conversation_import.updated_at).total_seconds() > settings.IMPORT_STALL_SECONDS
    ):
        return ConversationImport.Status.FAILED
    return conversation_import.status


def conversation_import_state(*, conversation_import: ConversationImport) -> dict:
    job = conversation_import
    status = conversation_import_status(conversation_import=job)
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
    try:
        return ConversationImport.objects.get(pk=import_id, user=user)
    except (ValidationError, ValueError):
        raise ConversationImport.DoesNotExist from None


def conversation_import_list_for_user(*, user: User) -> QuerySet[ConversationImport]:
    """The user's imports, newest first (conversationimport_user_idx); the API pages it."""
    return ConversationImport.objects.filter(user=user).order_by("-created_at", "-id")


def conversation_import_in_progress(*, user: User) -> ConversationImport | None:
    latest = conversation_import_list_for_user(user=user).first()
    if latest is not None and conversation_import_status(conversation_import=latest) in (
        ConversationImport.Status.QUEUED,
        ConversationImport.Status.RUNNING,
    ):
        return latest
    return None


def jobs_running_for_user(*, user_id: int) -> bool:
    """Whether the user has an import or an account export running (a stalled one, whose worker is gone,
    is over): one user runs one job at a time, so that their jobs never fill every worker."""
    imports = ConversationImport.objects.filter(user_id=user_id, status=ConversationImport.Status.RUNNING)
    exports = AccountExport.objects.filter(user_id=user_id, status=AccountExport.Status.RUNNING)
    return any(
        conversation_import_status(conversation_import=job) == ConversationImport.Status.RUNNING for job in imports
    ) or any(account_export_status(export=export) == AccountExport.Status.RUNNING for export in exports)


def conversation_import_rows(*, conversation_import: ConversationImport) -> QuerySet[ConversationImportRow]:
    """The import's report in file order (importrow_position_unique); the API pages it."""
    return ConversationImportRow.objects.filter(conversation_import=conversation_import).order_by("position")

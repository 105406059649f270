"""Account data reads: a whole-account export as the API, the page and the live event show it."""

from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountExport, User
from chatproject.jobs.selectors import job_get, job_list_for_user, job_status


def account_export_status(*, export: AccountExport) -> str:
    """Its status as people see it: a running export silent for EXPORT_STALL_SECONDS was cut off
    (its worker stopped) and reads as failed; a download past its time as expired."""
    status = job_status(job=export)
    if status == AccountExport.Status.DONE and (export.expires_at is None or export.expires_at <= timezone.now()):
        return "expired"
    return status


def account_export_state(*, export: AccountExport) -> dict:
    """An export as the API, the page and the live event show it."""
    status = account_export_status(export=export)
    error = export.error
    if status == AccountExport.Status.FAILED and not error:
        error = "The export was interrupted. Start it again."
    return {
        "id": str(export.pk),
        "status": status,
        "progress": {
            "sessions_done": export.sessions_done,
            "sessions_total": export.sessions_total,
            "utterances": export.utterances_done,
        },
        "size": export.size,
        "error": error,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at,
        "download": reverse("api:account-export-download", args=[export.pk]) if status == "done" else None,
    }


def account_export_get(*, user: User, export_id) -> AccountExport:
    """One of the user's exports; AccountExport.DoesNotExist for another user's or a malformed id."""
    return job_get(model=AccountExport, user=user, job_id=export_id)


def account_export_latest(*, user: User) -> AccountExport | None:
    """The user's newest export (accountexport_user_idx), for the account page."""
    return job_list_for_user(model=AccountExport, user=user).first()

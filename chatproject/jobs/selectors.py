"""Job reads: a job's status as people see it, the user's job in progress, whether a user has a job
running (of any kind)."""

from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from chatproject.jobs.models import Job

J = TypeVar("J", bound=Job)


def job_status(*, job: Job) -> str:
    """Its status as people see it: a running job silent for its stall setting's seconds was cut off
    (its worker stopped) and reads as failed."""
    if job.status == Job.Status.RUNNING and (timezone.now() - job.updated_at).total_seconds() > getattr(
        settings, job.stall_setting
    ):
        return Job.Status.FAILED
    return job.status


def job_list_for_user(*, model: type[J], user) -> QuerySet[J]:
    """The user's jobs of a kind, newest first (each kind's user index)."""
    return model.objects.filter(user=user).order_by("-created_at", "-id")


def job_in_progress(*, model: type[J], user) -> J | None:
    """The user's newest job of a kind when it is queued or running (and not cut off), else None."""
    latest = job_list_for_user(model=model, user=user).first()
    if latest is not None and job_status(job=latest) in (Job.Status.QUEUED, Job.Status.RUNNING):
        return latest
    return None


def job_get(*, model: type[J], user, job_id) -> J:
    """One of the user's jobs of a kind; model.DoesNotExist for another user's or a malformed id."""
    try:
        return model.objects.get(pk=job_id, user=user)
    except (ValidationError, ValueError):
        raise model.DoesNotExist from None


def job_models() -> list[type[Job]]:
    """Every kind of job installed."""
    return [model for model in apps.get_models() if issubclass(model, Job)]


def jobs_running_for_user(*, user_id: int) -> bool:
    """Whether the user has a job of any kind running (a stalled one, whose worker is gone, is over):
    one user runs one job at a time, so that their jobs never fill every worker."""
    return any(
        job_status(job=job) == Job.Status.RUNNING
        for model in job_models()
        for job in model.objects.filter(user_id=user_id, status=Job.Status.RUNNING)
    )

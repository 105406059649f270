"""Job writes: start a job (one of a kind at a time per user), run it as the worker does (QUEUED to
RUNNING, put back in the queue while its owner has another running, its work in a child process
under the limits), stop one a limit ended, and save a running job's progress."""

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from chatproject.jobs.limits import JobLimit, JobLimits, JobStopped, job_run_limited
from chatproject.jobs.models import Job
from chatproject.jobs.selectors import job_in_progress, jobs_running_for_user

# How often a running job saves its progress and tells its owner's tabs.
PROGRESS_SECONDS = 1.0


class JobGone(Exception):
    """The job's row is gone (its account was erased): the job stops."""


@dataclass(frozen=True)
class JobKind:
    """One kind of job. `task` (a django_tasks task) and `work` (what the child process runs) are
    dotted paths, each called with the job's id as `argument`. `stopped_reason(limit, limits)` says
    why a limit stopped one; `report(job)` saves its state and tells its owner's tabs (JobGone when
    its row is gone); `release(job)` lets go of what it holds (True when it held something)."""

    name: str
    model: type[Job]
    task: str
    argument: str
    work: str
    stopped_reason: Callable[[JobLimit, JobLimits], str]
    report: Callable[[Job], None]
    release: Callable[[Job], bool] | None = None

    def enqueue(self, *, job_id: str, run_after: datetime | None = None) -> None:
        task = import_string(self.task)
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue(**{self.argument: job_id})


def job_start(*, kind: JobKind, user, **fields) -> tuple[Job, bool]:
    """Record a job of the user's and enqueue its task in the same transaction (a rollback enqueues
    nothing), or answer the one of that kind already under way: (the job, whether it is new). The
    user's row is locked, so that two starts at once record one job."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        current = job_in_progress(model=kind.model, user=user)
        if current is not None:
            return current, False
        job = kind.model.objects.create(user=user, **fields)
        kind.enqueue(job_id=str(job.pk))
    return job, True


def job_claim(*, kind: JobKind, job_id: str, alone: bool) -> str:
    """Move a queued job to running: "running", "busy" (`alone`, and its owner has another job
    running: it stays queued) or "gone" (ran already, a job delivered twice, or its account erased)."""
    with transaction.atomic():
        queued = kind.model.objects.filter(pk=job_id, status=Job.Status.QUEUED)
        user_id = queued.values_list("user_id", flat=True).first()
        if user_id is None:
            return "gone"
        get_user_model().objects.select_for_update().filter(pk=user_id).first()  # one claim of the user's at a time
        if alone and jobs_running_for_user(user_id=user_id):
            return "busy"
        started = queued.update(status=Job.Status.RUNNING, updated_at=timezone.now())
    return "running" if started else "gone"


def job_run_in_worker(*, kind: JobKind, job_id: str) -> None:
    """The job as the worker runs it: its work in a child process under the job limits
    (chatproject/jobs/limits.py), which the worker keeps alive while it runs; one the limits stop is
    marked failed with the reason. When its owner has another job running it goes back to the queue
    for JOB_DEFER_SECONDS instead, so one user never holds two workers."""
    claimed = job_claim(kind=kind, job_id=job_id, alone=True)
    if claimed == "busy":
        kind.enqueue(job_id=job_id, run_after=timezone.now() + timedelta(seconds=settings.JOB_DEFER_SECONDS))
        return
    if claimed != "running":
        return
    limits = JobLimits.from_settings()
    running = kind.model.objects.filter(pk=job_id, status=Job.Status.RUNNING)
    outcome = job_run_limited(
        function=kind.work,
        arguments={kind.argument: job_id},
        limits=limits,
        heartbeat=lambda: running.update(updated_at=timezone.now()),
        heartbeat_seconds=min(10.0, getattr(settings, kind.model.stall_setting) / 3),
    )
    if outcome.stopped_by is not None:
        job_stop(kind=kind, job_id=job_id, limit=outcome.stopped_by, limits=limits)
        raise JobStopped(f"{kind.name} {job_id}: {outcome}")  # the task is recorded failed too


def job_stop(*, kind: JobKind, job_id: str, limit: JobLimit, limits: JobLimits) -> None:
    """A job whose child process a limit stopped (or that crashed): what it held released, failed with
    the reason unless it finished (a crash keeps the reason the job gave itself), its owner's tabs
    told."""
    job = kind.model.objects.select_related("user").filter(pk=job_id).first()
    if job is None:
        return
    released = kind.release(job) if kind.release is not None else False
    if job.status == Job.Status.DONE and not released:
        return
    if job.status != Job.Status.DONE and not (
        limit == JobLimit.CRASH and job.status == Job.Status.FAILED and job.error
    ):
        job.status, job.error = Job.Status.FAILED, kind.stopped_reason(limit, limits)[:500]
    job.finished_at = job.finished_at or timezone.now()
    with contextlib.suppress(JobGone):
        kind.report(job)


def job_save(*, job: Job, fields: list[str]) -> None:
    """Save a running job's progress and state (`fields`, and updated_at bumped: a report);
    JobGone when its row is gone."""
    job.updated_at = timezone.now()
    changes = {field: getattr(job, field) for field in [*fields, "updated_at"]}
    if not type(job).objects.filter(pk=job.pk).update(**changes):
        raise JobGone


class ProgressClock:
    """When a running job reports its progress: at most once every PROGRESS_SECONDS."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last < PROGRESS_SECONDS:
            return False
        self.last = now
        return True

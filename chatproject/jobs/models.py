"""The status every background job's row carries (chatproject/jobs)."""

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone


class Job(models.Model):
    """A background job of one user's: queued, running (reporting its progress about once a second),
    then done or failed. A concrete kind adds its user key, its progress and its result."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    # The setting that says how long a running job may stay silent before it counts as cut off.
    stall_setting: ClassVar[str]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped with each progress report (and the worker's heartbeat): a running job silent for its
    # stall setting's seconds was cut off.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

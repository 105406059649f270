"""An export queued before its task moved to account_data is run by the moved task, not lost."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from account_data.tasks import account_export_build

moved = importlib.import_module("account_data.migrations.0001_export_tasks_moved")

pytestmark = pytest.mark.django_db


def queued(task_path: str, status: str = "READY") -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path,
        status=status,
        queue_name="exports",
        backend_name="default",
        args_kwargs={"args": [], "kwargs": {}},
        run_after=timezone.now(),
        enqueued_at=timezone.now(),
    )


def test_a_queued_export_from_before_the_move_points_at_the_moved_task():
    row = queued(moved.OLD)

    moved.point_queued_exports(apps, None)

    row.refresh_from_db()
    assert row.task_path == moved.NEW
    assert row.task.func is account_export_build.func


def test_finished_exports_keep_the_path_they_ran_under():
    row = queued(moved.OLD, status="SUCCESSFUL")

    moved.point_queued_exports(apps, None)

    row.refresh_from_db()
    assert row.task_path == moved.OLD

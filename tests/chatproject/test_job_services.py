"""chatproject/jobs/services.py: the one machinery both kinds of job run on. A user's job of either kind
holds back their job of the other kind; a job of either kind whose worker went silent reads as
failed and lets the next one start."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from account_data import services as account_data_services
from accounts.models import AccountExport
from chatproject.jobs.services import job_claim
from imports import services as import_services
from imports.models import ConversationImport
from tests.imports import samples

pytestmark = pytest.mark.django_db

IMPORT_TASK = "imports.tasks.conversation_import_run"


def import_started(user) -> ConversationImport:
    upload = SimpleUploadedFile("conversations.json", samples.as_json([samples.chatgpt_trip()]))
    return import_services.conversation_import_start(user=user, upload=upload, file_name="conversations.json")


def test_an_import_waits_in_the_queue_while_its_owner_has_an_export_running(owner, settings):
    settings.JOB_DEFER_SECONDS = 30
    export = account_data_services.account_export_start(user=owner)
    assert job_claim(kind=account_data_services.ACCOUNT_EXPORT, job_id=str(export.pk), alone=False) == "running"
    started = import_started(owner)

    import_services.conversation_import_job(import_id=str(started.pk))

    started.refresh_from_db()
    assert started.status == ConversationImport.Status.QUEUED
    runs = [result.task.run_after for result in DBTaskResult.objects.filter(task_path=IMPORT_TASK)]
    assert runs.count(None) == 1  # the first, at once
    assert [run > timezone.now() + timedelta(seconds=20) for run in runs if run is not None] == [True]


def test_an_export_waits_in_the_queue_while_its_owner_has_an_import_running(owner):
    started = import_started(owner)
    assert job_claim(kind=import_services.CONVERSATION_IMPORT, job_id=str(started.pk), alone=False) == "running"
    export = account_data_services.account_export_start(user=owner)

    account_data_services.account_export_job(export_id=str(export.pk))

    export.refresh_from_db()
    assert export.status == AccountExport.Status.QUEUED
    assert DBTaskResult.objects.filter(task_path="account_data.tasks.account_export_build").count() == 2


def test_a_stalled_job_of_either_kind_no_longer_holds_back_the_next(owner, settings):
    settings.EXPORT_STALL_SECONDS = settings.IMPORT_STALL_SECONDS = 60
    silent = timezone.now() - timedelta(seconds=61)
    export = account_data_services.account_export_start(user=owner)
    started = import_started(owner)
    AccountExport.objects.filter(pk=export.pk).update(status="running", updated_at=silent)
    ConversationImport.objects.filter(pk=started.pk).update(status="running", updated_at=silent)

    assert account_data_services.account_export_start(user=owner).pk != export.pk
    assert import_started(owner).pk != started.pk

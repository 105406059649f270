"""Account exports' background task moved from accounts.tasks to account_data.tasks (issue 30).

An export queued before the move names the old path: a worker could not import it, the export row
would stay queued, and its owner could never start another. Queued ones are pointed at the new path.
"""

from django.db import migrations

OLD = "accounts.tasks.account_export_build"
NEW = "account_data.tasks.account_export_build"


def point_queued_exports(apps, schema_editor):
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    task_result.objects.filter(task_path=OLD, status="READY").update(task_path=NEW)


def point_back(apps, schema_editor):
    task_result = apps.get_model("django_tasks_database", "DBTaskResult")
    task_result.objects.filter(task_path=NEW, status="READY").update(task_path=OLD)


class Migration(migrations.Migration):
    dependencies = [("django_tasks_database", "0021_conditional_partial_index_ordering")]

    operations = [migrations.RunPython(point_queued_exports, point_back)]

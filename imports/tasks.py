"""Background jobs of the imports app (Django's Tasks API; `manage.py db_worker` runs them)."""

from django_tasks import task

from imports import services


@task()
def conversation_import_run(import_id: str) -> None:
    services.conversation_import_run(import_id=import_id)

"""Background jobs of the imports app (Django's Tasks API; `manage.py db_worker` runs them, each
in a child process under the job limits: chatproject/jobs/limits.py)."""

from django_tasks import task

from imports import services


@task(queue_name="imports")
def conversation_import_run(import_id: str) -> None:
    services.conversation_import_job(import_id=import_id)

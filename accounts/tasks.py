"""Background jobs of the accounts app (Django's Tasks API; `manage.py db_worker` runs them, each
in a child process under the job limits: chatproject/jobs.py)."""

from django_tasks import task

from accounts import services


@task()
def account_export_build(export_id: str) -> None:
    services.account_export_job(export_id=export_id)

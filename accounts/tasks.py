"""Background jobs of the accounts app (Django's Tasks API; `manage.py db_worker` runs them)."""

from django_tasks import task

from accounts import services


@task()
def account_export_build(export_id: str) -> None:
    services.account_export_build(export_id=export_id)

"""Background jobs of the account_data app (Django's Tasks API; `manage.py db_worker` runs them,
each in a child process under the job limits: chatproject/jobs/limits.py)."""

from django_tasks import task

from account_data import services


# Exports have a worker of their own beside the general ones (scripts/run.sh, serve.sh, deploy/):
# however many imports run, an export is never queued behind them.
@task(queue_name="exports")
def account_export_build(export_id: str) -> None:
    services.account_export_job(export_id=export_id)

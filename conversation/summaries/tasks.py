"""The summaries' background job (Django's Tasks API; `manage.py db_worker` runs it)."""

from django_tasks import task

from conversation.summaries import services


# Queue "context" has a worker of its own beside the general ones (scripts/job-workers.sh), so a
# summary never waits behind imports. A run makes at most one model call; when a big backlog (an
# imported chat's) is left, it queues the next run, behind the other sessions' summaries.
@task(queue_name="context")
def summary_refresh_task(session_id: str) -> None:
    if services.summary_refresh(session_id=session_id).more:
        summary_refresh_task.enqueue(session_id=session_id)

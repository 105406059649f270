"""The summaries' background job (Django's Tasks API; `manage.py db_worker` runs it)."""

from django_tasks import task

from conversation.models import Session
from conversation.summaries import services, trigger

# A big backlog (an imported or bulk-saved chat's) takes one call a run; a reply sets off at most
# this many runs, so that what one reply costs in model calls stays bounded however much was saved.
RUNS_PER_REPLY = 3


# Queue "context" has a worker of its own beside the general ones (scripts/job-workers.sh), so a
# summary never waits behind imports. A run makes at most one model call; when a big backlog is
# left, it queues the next run, behind the other sessions' summaries, up to RUNS_PER_REPLY.
@task(queue_name="context")
def summary_refresh_task(session_id: str, run: int = 1) -> None:
    count = Session.objects.filter(pk=session_id).values_list("message_count", flat=True).first()
    trigger.summary_queued_clear(session_id=session_id, message_count=count or 0)
    if services.summary_refresh(session_id=session_id).more and run < RUNS_PER_REPLY:
        summary_refresh_task.enqueue(session_id=session_id, run=run + 1)

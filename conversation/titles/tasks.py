"""Background jobs of titles by the model (Django's Tasks API; `manage.py db_worker` runs them)."""

from django_tasks import task

from conversation.titles import services


# The "context" queue holds the background work of what the model sees of a chat: titles, summaries.
@task(queue_name="context")
def session_title_make(session_id: str, reply_seq: int) -> None:
    services.session_title_by_model(session_id=session_id, reply_seq=reply_seq)

"""Summaries on the embedded default (SQLite): a reply past the window queues the job, the job (as
the worker runs it) makes the offline summary, and the next reply's prompt holds it; an edit at
message 5 starts a branch that sees none of it; an owner's edit over a summary since superseded saves
nothing. In a subprocess, as tests/test_embedded_default.py."""

from tests.servers import run_on_sqlite

SCRIPT = """
import asyncio, os
os.environ.update(CONTEXT_MAX_TOKENS="600", ASSISTANT_MAX_TOKENS="100", SUMMARY_MAX_TOKENS="100",
                  SUMMARY_EVERY_MESSAGES="10", ASSISTANT_OFFLINE_DELAY_SECONDS="0", ASSISTANT_BASE_URL="")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_tasks_db.models import DBTaskResult
from accounts.models import User
from conversation.branches.edits import utterance_edit
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import ContextSummary, Session
from conversation.replies.stream import reply_events
from conversation.replies.turn import prompt_for_session, reply_begin
from conversation.sessions.create import session_create
from conversation.summaries.selectors import summary_for_session
from conversation.summaries.services import SummarySuperseded, summary_edit
from conversation.summaries.tasks import summary_refresh_task

user = User.objects.create_user(email="lite@example.com", password="x")
session = session_create(user=user)
words = lambda n: " ".join(f"w{n}x{i}" for i in range(12))
utterances_append(user=user, session_id=session.pk, utterances=[
    UtteranceIn(role="user" if n % 2 else "assistant", text=f"lite message {n} {words(n)}") for n in range(1, 41)
])

def reply(text):
    turn = reply_begin(user=user, session_id=session.pk, text=text, client_id=None)
    async def rest():
        return [event async for event in reply_events(user=user, turn=turn)]
    return asyncio.run(rest())[-1].utterance

reply("and now?")
[task] = DBTaskResult.objects.filter(task_path="conversation.summaries.tasks.summary_refresh_task")
assert task.queue_name == "context", task.queue_name
summary_refresh_task.call(**task.args_kwargs["kwargs"])
summary = ContextSummary.objects.get(session=session)
assert summary.made_by == "offline" and summary.text.startswith(("User: lite", "Assistant: lite")), summary.text
answered = reply("and then?")
assert answered.metadata["context"]["summary_seq"] == summary.seq, answered.metadata["context"]

# The owner's edit names the summary it rewrites: a stale one saves nothing (the API's 409).
try:
    summary_edit(user=user, session_id=session.pk, text="stale", seq=summary.seq - 1)
    raise AssertionError("a stale edit was saved")
except SummarySuperseded as exc:
    assert exc.summary.pk == summary.pk
summary_edit(user=user, session_id=session.pk, text="Plan A. Hotel B.", seq=summary.seq)
assert ContextSummary.objects.get(pk=summary.pk).text == "Plan A. Hotel B."

utterance_edit(user=user, session_id=session.pk, seq=5, text="a fresh start", client_id="e5")
fresh = Session.objects.select_related("persona").get(pk=session.pk)
assert summary_for_session(session=fresh) is None
text = "\\n".join(m["content"] for m in prompt_for_session(session=fresh)[0].messages)
assert "a fresh start" in text and "lite message 7 " not in text, text
print("ok", summary.seq)
"""


def test_a_summary_is_made_and_used_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2] == "ok"

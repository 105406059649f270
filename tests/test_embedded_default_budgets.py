"""Token budgets on the embedded default (SQLite, local memory): the window's rebuild statement, its
extension in the local-memory cache and the prompt's fit, as on PostgreSQL and Redis."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
settings.CONTEXT_MAX_TOKENS, settings.ASSISTANT_MAX_TOKENS = 600, 100
from accounts.models import User
from conversation import tokens
from conversation.context import context_window_get, context_window_rebuild
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.replies.turn import prompt_for_session
from conversation.sessions.create import session_create

user = User.objects.create_user(email="lite@example.com", password="x")
session = session_create(user=user)
for n in range(30):
    fresh = Session.objects.select_related("persona").get(pk=session.pk)
    context_window_get(session=fresh, budget=500)  # cached, so that the append extends it
    utterances_append(user=user, session_id=session.pk, utterances=[
        UtteranceIn(role="user" if n % 2 == 0 else "assistant", text=f"m{n} " + "word " * (5 + 17 * (n % 5))),
    ])
    fresh = Session.objects.select_related("persona").get(pk=session.pk)
    window = context_window_get(session=fresh, budget=500)
    assert window.cached, n
    assert window.messages == context_window_rebuild(session_id=session.pk, budget=500)[2], n
stored = Utterance.objects.get(session=session, seq=30)
assert stored.tokens == tokens.text_tokens(stored.text), stored.tokens
prompt, _ = prompt_for_session(session=fresh)
counted = sum(tokens.message_tokens(tokens.text_tokens(m["content"])) for m in prompt.messages) + 3
assert counted == prompt.tokens <= 500, (counted, prompt.tokens)
assert prompt.included[-1]["seq"] == 30 and prompt.first_seq > 1, prompt.first_seq
print("ok")
"""


def test_budgets_work_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")

"""seq, before and after past 64 bits are a clear 400 on the embedded default (SQLite) too, where
binding such an integer raises OverflowError (a 500 until they were bounded)."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.core.exceptions import ValidationError
from django.test import Client
from accounts import services as account_services
from accounts.models import User
from conversation.branches.edits import utterance_edit
from conversation.branches.head import session_switch
from conversation.branches.paths import utterance_answered_by
from conversation.history.append import utterances_append
from conversation.sessions.create import session_create
from conversation.inputs import UtteranceIn

user = User.objects.create_user(email="lite@example.com", password="x")
session = session_create(user=user)
utterances_append(user=user, session_id=session.pk, utterances=[
    UtteranceIn(role="user", text="q"), UtteranceIn(role="assistant", text="a"),
])
_, key = account_services.device_token_create(user=user, name="lite")
api = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST="localhost")
browser = Client(HTTP_HOST="localhost")
browser.force_login(user)
for param in ("before", "after"):
    for value in (str(2**63), str(2**64 + 5)):
        answer = api.get(f"/api/sessions/{session.pk}/utterances/?{param}={value}")
        assert answer.status_code == 400 and param in answer.json()["errors"], (answer.status_code, answer.content)
        answer = browser.get(f"/c/{session.pk}/messages/?{param}={value}")
        assert answer.status_code == 400, (answer.status_code, answer.content)
for seq in (2**63, str(2**63)):
    for call in (
        lambda: utterance_edit(user=user, session_id=session.pk, seq=seq, text="x"),
        lambda: session_switch(user=user, session_id=session.pk, seq=seq),
        lambda: utterance_answered_by(session=session, seq=seq),
    ):
        try:
            call()
            raise AssertionError(f"seq {seq} was accepted")
        except ValidationError as exc:
            assert "seq" in exc.message_dict, exc
answer = api.get(f"/api/sessions/{session.pk}/utterances/?before={2**63 - 1}")
assert [u["text"] for u in answer.json()["results"]] == ["q", "a"], answer.content
print("seq bounds ok")
"""


def test_seqs_past_64_bits_are_refused_on_sqlite(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "seq bounds ok" in result.stdout

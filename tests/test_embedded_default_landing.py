"""Landing on a message on the embedded default (SQLite): the API's ?around= and the page's ?at=
answer as on PostgreSQL (tests/conversation/api/test_utterances_around_api.py), in a subprocess
as tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import json, re
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from accounts.models import User
from conversation.branches.edits import utterance_edit
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create

user = User.objects.create_user(email="lite@example.com", password="x")
other = User.objects.create_user(email="other@example.com", password="x")
def say(session, *texts):
    utterances_append(user=user, session_id=session.pk, utterances=[UtteranceIn(role="user", text=t) for t in texts])
plain = session_create(user=user)
say(plain, *[f"m{n}" for n in range(1, 101)])
branched = session_create(user=user)
say(branched, *[f"m{n}" for n in range(1, 21)])
utterance_edit(user=user, session_id=branched.pk, seq=5, text="e5")
say(branched, *[f"e{n}" for n in range(6, 11)])

client = Client(HTTP_HOST="localhost")
client.force_login(user)
def around(session, **params):
    response = client.get(f"/api/sessions/{session.pk}/utterances/", params)
    return response.status_code, response.json()
seqs = lambda body: [u["seq"] for u in body["results"]]

status, body = around(plain, around=50, limit=10)
assert (status, seqs(body), body["leaf"]) == (200, list(range(46, 56)), None), body
assert seqs(client.get(body["next"]).json()) == list(range(56, 66))
assert seqs(around(plain, around=1, limit=10)[1]) == list(range(1, 7))
assert seqs(around(plain, around=100, limit=10)[1]) == list(range(96, 101))
status, body = around(branched, around=12, limit=6)
assert (seqs(body), body["leaf"]) == ([10, 11, 12, 13, 14, 15], 20), body
assert seqs(client.get(body["next"]).json()) == [16, 17, 18, 19, 20]
assert seqs(around(branched, around=21, limit=6)[1]) == [3, 4, 21, 22, 23, 24]
assert around(plain, around="x")[0] == 400
assert around(plain, around=101)[0] == 400
outsider = Client(HTTP_HOST="localhost")
outsider.force_login(other)
assert outsider.get(f"/api/sessions/{plain.pk}/utterances/", {"around": 5}).status_code == 404

page = client.get(f"/c/{branched.pk}/", {"at": 12}).content.decode()
assert 'data-seq="12" aria-current="location"' in page
assert "You are viewing another version of this chat." in page
config = json.loads(re.search(r'id="chat-config" type="application/json">(.*?)</script>', page).group(1))
assert config["landing"] == {"at": 12, "leaf": 20, "hasNewer": False}, config["landing"]
assert "has no message 999" in client.get(f"/c/{plain.pk}/", {"at": 999}).content.decode()
print("ok")
"""


def test_landing_answers_on_the_embedded_default_as_on_postgresql(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"

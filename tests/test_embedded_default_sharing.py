"""Shared links on the embedded default (SQLite, the local-memory cache): a snapshot of the active
branch, the page's answers (200, 401, 410) and a view counted once, in a subprocess, as
tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from rest_framework.test import APIClient
from accounts.models import User
from conversation.branches.edits import utterance_edit
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from sharing.models import Share
user = User.objects.create_user(email="lite@example.com", password="x")
session = session_create(user=user, title="Lite")
utterances_append(user=user, session_id=session.pk, utterances=[
    UtteranceIn(role="user", text="OLD-Q"), UtteranceIn(role="assistant", text="OLD-A")])
utterance_edit(user=user, session_id=session.pk, seq=1, text="NEW-Q")
api = APIClient(SERVER_NAME="localhost")
api.force_authenticate(user)
made = api.post("/api/shares/", {"session": str(session.pk)}, format="json")
assert made.status_code == 201, made.content
share_id = made.json()["id"]
locked = api.post(f"/api/sessions/{session.pk}/share/", {"password": "pw", "audience": "signed_in"}, format="json")
visitor = Client(SERVER_NAME="localhost")
page = visitor.get(f"/s/{share_id}/")
assert page.status_code == 200, page.status_code
assert b"NEW-Q" in page.content and b"OLD-Q" not in page.content
assert visitor.get(f"/s/{locked.json()['id']}/").status_code == 401
visitor.get(f"/s/{share_id}/")
assert Share.objects.get(pk=share_id).view_count == 1
session_trash(user=user, session_id=session.pk)
assert visitor.get(f"/s/{share_id}/").status_code == 410
print("ok", Share.objects.count())
"""


def test_shared_links_answer_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["ok", "2"]

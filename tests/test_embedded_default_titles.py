"""Titles by the model on the embedded default (SQLite): after a chat's first reply the job, taken
from the database by `db_worker`, sets the model's title; a rename before it, or while the model
answers, wins. In a subprocess, as tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
call_command("migrate", verbosity=0)
from rest_framework.test import APIClient
from accounts.models import User
from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from tests.model_server import TITLE_ASKED, ModelServer
server = ModelServer()
settings.ASSISTANT_BASE_URL, settings.ASSISTANT_MODEL = server.url, "test-model"
user = User.objects.create_user(email="lite@example.com", password="x")
client = APIClient(SERVER_NAME="localhost")
client.force_authenticate(user)

def reply(session, text):
    path = f"/api/sessions/{session.pk}/reply/"
    response = client.post(path, {"text": text}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content

def named(session):
    return tuple(Session.objects.filter(pk=session.pk).values_list("title", "title_source").get())

def jobs_run():
    call_command("db_worker", "--batch", "--queue-name", "context", "--no-reload", "--no-startup-delay", verbosity=0)

titled, renamed, racing = (session_create(user=user) for _ in range(3))
for session in (titled, renamed):
    reply(session, "Where should I stay in Lisbon?")
reply(racing, "Where should I stay in Porto?")
assert named(titled) == ("Where should I stay in Lisbon?", "auto"), named(titled)
session_update(user=user, session_id=renamed.pk, title="Holidays")
asked = []

def rename_meanwhile(request):
    if TITLE_ASKED in request["messages"][0]["content"]:
        asked.append(request)
        if "Porto" in request["messages"][1]["content"]:  # the third chat: renamed while the model answers
            try:
                session_update(user=user, session_id=racing.pk, title="Mine")
            finally:
                close_old_connections()

server.on_request = rename_meanwhile
jobs_run()
assert len(asked) == 2, len(asked)
assert named(titled) == ("Lisbon trip plans", "model"), named(titled)
assert named(renamed) == ("Holidays", "user"), named(renamed)
assert named(racing) == ("Mine", "user"), named(racing)
reply(titled, "And in Porto?")
jobs_run()
assert len(asked) == 2 and named(titled) == ("Lisbon trip plans", "model")
print("ok", len(asked))
"""


def test_a_models_title_lands_and_a_rename_wins_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["ok", "2"]

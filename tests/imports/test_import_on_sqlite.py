"""The embedded default (SQLite) reports the conversations no column keeps as PostgreSQL does: run in
a subprocess on a fresh SQLite file, as tests/test_embedded_default.py runs the core paths."""

import json

from tests.imports import samples
from tests.imports.test_conversation_import import unstorable_conversations
from tests.servers import run_on_sqlite

SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from imports.services import conversation_import_file
user = User.objects.create_user(email="lite@example.com", password="x")
job = conversation_import_file(user=user, path=sys.argv[1])
rows = list(job.rows.order_by("position").values_list("source_id", "result", "error"))
print(json.dumps({"status": job.status, "error": job.error, "rows": rows}))
"""


def test_the_embedded_default_fails_or_cleans_the_same_conversations(tmp_path):
    path = tmp_path / "conversations.json"
    path.write_bytes(samples.as_json(unstorable_conversations()))
    result = run_on_sqlite(SCRIPT, str(path), tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["status"], outcome["error"]) == ("done", "")
    assert [(source_id, result) for source_id, result, _ in outcome["rows"]] == [
        ("x" * 200, "failed"),
        ("nulid", "failed"),
        ("nul-message-id", "failed"),
        ("nul-title", "imported"),
        ("nul-text", "imported"),
        ("plain", "imported"),
    ]

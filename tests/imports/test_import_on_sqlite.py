"""The embedded default (SQLite) reports the conversations no column keeps as PostgreSQL does: run in
a subprocess on a fresh SQLite file, as tests/test_embedded_default.py runs the core paths."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.imports import samples
from tests.imports.test_conversation_import import unstorable_conversations

ROOT = Path(__file__).resolve().parent.parent.parent

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
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    env["IMPORTS_ROOT"] = str(tmp_path / "imports")
    env["EXPORTS_ROOT"] = str(tmp_path / "exports")
    env["DJANGO_SETTINGS_MODULE"] = "chatproject.settings"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

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

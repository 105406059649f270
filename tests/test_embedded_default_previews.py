"""Session previews on the embedded default (SQLite): every writer keeps them exact there too, and
the migration fills them from the active branches; in a subprocess, as
tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import importlib
import django
django.setup()
from django.apps import apps
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.models import Session
from tests.conversation.preview_walk import check, run_every_writer
user = User.objects.create_user(email="lite@example.com", password="x")
run_every_writer(user)
# The migration's fill, on sessions as the writers left them (branched ones among them).
stored = dict(Session.objects.values_list("pk", "preview"))
Session.objects.update(preview="")
importlib.import_module("conversation.migrations.0016_session_preview").fill_previews(apps, None)
assert dict(Session.objects.values_list("pk", "preview")) == stored
for pk in stored:
    check(pk)
print("ok", len(stored))
"""


def test_every_writer_and_the_migration_keep_previews_exact_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2] == "ok"

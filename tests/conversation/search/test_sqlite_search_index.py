"""The embedded default's FTS5 index (migration 0018, conversation/search/sqlite.py): filled from the
rows already there when the migration runs, and put back whole by the post_migrate hook when its
triggers are gone (SQLite drops a table's triggers when a migration rebuilds the table)."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", "conversation", "0017", verbosity=0)
call_command("migrate", verbosity=0)
call_command("migrate", "conversation", "0017", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'conversation_utterance_search%'")
    assert cursor.fetchone()[0] == 0, "0018 backwards leaves its table and triggers"
from django.db.migrations.loader import MigrationLoader
from accounts.models import User
from conversation.search import message_search_for_user
from tests.conversation.preview_walk import say
user = User.objects.create_user(email="lite@example.com", password="x")
# Written through the models as they were at 0017: today's have columns of later migrations.
old = MigrationLoader(connection).project_state(("conversation", "0017_folders_and_tags")).apps
persona = old.get_model("conversation", "Persona").objects.get(is_default=True)
chat = old.get_model("conversation", "Session").objects.create(
    user_id=user.pk, persona_id=persona.pk, last_seq=1, head_seq=1, message_count=1, user_message_count=1
).pk
old.get_model("conversation", "Utterance").objects.create(
    session_id=chat, user_id=user.pk, seq=1, role="user", text="Written before the index existed"
)
call_command("migrate", verbosity=0)
assert [h.seq for h in message_search_for_user(user=user, q="written").hits] == [1]

with connection.cursor() as cursor:  # as a rebuild of the table would leave it
    cursor.execute("DROP TRIGGER conversation_utterance_search_insert")
say(user, chat, "Said while the trigger was missing")
assert message_search_for_user(user=user, q="missing").hits == []
call_command("migrate", verbosity=0)  # the post_migrate hook
assert [h.seq for h in message_search_for_user(user=user, q="missing").hits] == [2]
say(user, chat, "And after it came back")
assert [h.seq for h in message_search_for_user(user=user, q="came").hits] == [3]
print("ok")
"""


def test_the_index_is_filled_by_the_migration_and_put_back_after_a_rebuild(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"

"""Bulk actions on the embedded default (SQLite): each action and its undo give every chat back as
it was, in a subprocess, as tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.folders.services import folder_create, sessions_move_to_folder
from conversation.models import Session
from conversation.sessions.bulk import sessions_bulk
from conversation.sessions.create import session_create
from conversation.tags.services import sessions_tag
user = User.objects.create_user(email="lite@example.com", password="x")
other = User.objects.create_user(email="other@example.com", password="x")
a, b = folder_create(user=user, name="a"), folder_create(user=user, name="b")
chats = [session_create(user=user) for _ in range(4)]
sessions_move_to_folder(user=user, session_ids=[chats[0].pk], folder_id=a.pk)
sessions_tag(user=user, session_ids=[chats[1].pk], names=["x"])
theirs = session_create(user=other)
ids = [str(s.pk) for s in chats] + [str(theirs.pk)]

def state():
    return list(Session.objects.order_by("id").values_list(
        "pinned_at", "archived_at", "deleted_at", "folder_id", "tag_names"))

before = state()
for action, extra in [("move", {"folder": str(b.pk)}), ("tag", {"tags": ["X", "y"]}), ("untag", {"tags": ["x"]}),
                      ("archive", {}), ("pin", {}), ("trash", {})]:
    result = sessions_bulk(user=user, session_ids=ids, action=action, **extra)
    assert (result.done, result.not_found) == (4, [str(theirs.pk)]), (action, result)
    assert state() != before, action
    for undo in result.undo:
        sessions_bulk(user=user, session_ids=undo["ids"], action=undo["action"],
                      folder=undo.get("folder"), tags=undo.get("tags", ()))
    assert state() == before, action
print("ok")
"""


def test_each_bulk_action_and_its_undo_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"

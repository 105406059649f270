"""Folders on the embedded default (SQLite): the services, their limits and a folder's chats page,
in a subprocess, as tests/test_embedded_default.py runs the core paths."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.folders.selectors import folder_list_for_user
from conversation.folders.services import folder_create, folder_delete, folder_update, sessions_move_to_folder
from conversation.models import Folder, Session
from conversation.sessions.create import session_create
from conversation.sessions.lists import NO_FOLDER, session_page_for_user
user = User.objects.create_user(email="lite@example.com", password="x")
other = User.objects.create_user(email="other@example.com", password="x")
a = folder_create(user=user, name="a")
b = folder_create(user=user, name="b", parent_id=a.pk)
c = folder_create(user=user, name="c", parent_id=b.pk)
for call in (
    lambda: folder_create(user=user, name="d", parent_id=c.pk),
    lambda: folder_create(user=user, name="A"),
    lambda: folder_update(user=user, folder_id=a.pk, parent_id=c.pk),
):
    try:
        call()
    except ValidationError:
        pass
    else:
        raise AssertionError("not refused")
try:
    folder_create(user=other, name="x", parent_id=a.pk)
except Folder.DoesNotExist:
    pass
else:
    raise AssertionError("another user's parent found")
folder_update(user=user, folder_id=b.pk, parent_id=None)
assert [(f.name, f.depth) for f in folder_list_for_user(user=user)] == [("a", 1), ("b", 1), ("c", 2)]
chats = [session_create(user=user) for _ in range(3)]
assert sessions_move_to_folder(user=user, session_ids=[s.pk for s in chats[:2]], folder_id=c.pk).done == 2
assert {r["id"] for r in session_page_for_user(user=user, folder=c.pk)} == {s.pk for s in chats[:2]}
assert [r["id"] for r in session_page_for_user(user=user, folder=NO_FOLDER)] == [chats[2].pk]
trashed = folder_delete(user=user, folder_id=b.pk, chats="trash")
assert sorted(trashed) == sorted(str(s.pk) for s in chats[:2])
assert Session.objects.filter(deleted_at__isnull=False).count() == 2
assert [f.name for f in folder_list_for_user(user=user)] == ["a"]
print("ok")
"""


def test_the_folder_services_work_on_the_embedded_default(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"

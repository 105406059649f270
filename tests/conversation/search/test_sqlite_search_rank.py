"""On the embedded default, a hit's rank (in the answer and in its cursor) comes from its own
message alone: FTS5's bm25 weighs words by how many messages of the whole table hold them, all
users' together, so a user's ranks told whether, and how often, other users wrote a word."""

from tests.servers import run_on_sqlite

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.search import message_search_for_user
from conversation.sessions.create import session_create
from tests.conversation.preview_walk import say
me = User.objects.create_user(email="me@example.com", password="x")
other = User.objects.create_user(email="other@example.com", password="x")
mine = session_create(user=me).pk
say(me, mine, "zebra crossing today", "apples and pears", "zebra zebra stripes")
def ranks():
    return [(hit.seq, hit.rank) for hit in message_search_for_user(user=me, q="zebra").hits]
alone = ranks()
theirs = session_create(user=other).pk
for _ in range(5):
    say(other, theirs, "the zebra secret", "nothing here")
assert ranks() == alone, (alone, ranks())
assert [seq for seq, _ in alone] == [3, 1], alone  # more matches first, as ts_rank ranks them
print("ok")
"""


def test_a_users_ranks_do_not_move_when_another_user_writes_the_same_word(tmp_path):
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "ok"

import json

import pytest

from tests.conversation.search.exactness import QUERIES, build_corpus, check_all
from tests.servers import run_on_sqlite

SCRIPT = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from tests.conversation.search.exactness import build_corpus, check_all
user = User.objects.create_user(email="lite@example.com", password="x")
outsider = User.objects.create_user(email="other@example.com", password="x")
build_corpus(user, outsider)
print(json.dumps(check_all(user)))
"""


@pytest.fixture
def sqlite_answers(tmp_path) -> dict:
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_every_hit_equals_a_brute_force_scan_on_both_runtimes_with_the_same_answers(owner, outsider, sqlite_answers):
    build_corpus(owner, outsider)
    answers = check_all(owner)  # PostgreSQL, against its brute force
    assert answers == sqlite_answers  # SQLite's, checked against its own brute force in the script
    assert answers["lisbon|live|all"] != answers["lisbon|live|active"]
    assert answers["opening|live|all"] != answers["opening|live|active"]  # some hits lie off the active branch
    assert answers["the|live|all"] == []
    assert len({key.split("|")[0] for key in answers}) == len(QUERIES)

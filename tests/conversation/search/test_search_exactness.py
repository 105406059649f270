import json

import pytest

from tests.conversation.search.exactness import QUERIES, build_corpus, check_all, filter_answers
from tests.servers import run_on_sqlite

SCRIPT = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from tests.conversation.search.exactness import build_corpus, check_all, filter_answers
user = User.objects.create_user(email="lite@example.com", password="x")
outsider = User.objects.create_user(email="other@example.com", password="x")
build_corpus(user, outsider)
filtered = filter_answers(User.objects.create_user(email="third@example.com", password="x"))
print(json.dumps({"exact": check_all(user), "filtered": filtered}))
"""


@pytest.fixture(scope="module")
def sqlite_answers(tmp_path_factory) -> dict:
    """The same corpus and cases on the embedded default (SQLite), once for this file's tests."""
    result = run_on_sqlite(SCRIPT, tmp_path=tmp_path_factory.mktemp("embedded"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_every_hit_equals_a_brute_force_scan_on_both_runtimes_with_the_same_answers(owner, outsider, sqlite_answers):
    build_corpus(owner, outsider)
    answers = check_all(owner)  # PostgreSQL, against its brute force
    assert answers == sqlite_answers["exact"]  # SQLite's, checked against its own brute force in the script
    assert answers["lisbon|live|all"] != answers["lisbon|live|active"]
    assert answers["opening|live|all"] != answers["opening|live|active"]  # some hits lie off the active branch
    assert answers["the|live|all"] == []
    assert len({key.split("|")[0] for key in answers}) == len(QUERIES)


def test_filters_alone_and_combined_answer_the_same_on_both_runtimes(owner, sqlite_answers):
    answers = filter_answers(owner)
    assert answers == {
        "role": [["A", 2]],
        "persona": [["B", 1]],
        "folder by name": [["A", 1], ["A", 2]],
        "folder by id": [["A", 1], ["A", 2]],
        "all the tags": [["A", 1], ["A", 2]],
        "a tag": [["A", 1], ["A", 2], ["B", 1]],
        "before": [["C", 1]],
        "after": [["A", 1], ["A", 2], ["B", 1]],
        "one day": [["C", 1]],
        "pinned": [["B", 1]],
        "combined": [["A", 1]],
    }
    assert answers == sqlite_answers["filtered"]

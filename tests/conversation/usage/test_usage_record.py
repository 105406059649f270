"""usage_record: one call's tokens added to the user's day, exact under concurrent calls, on both runtimes."""

from datetime import UTC, date, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from conversation.models import TokenUsageDay
from conversation.usage.services import usage_record
from tests.helpers import in_a_thread, wait_until_another_transaction_waits_for_a_lock
from tests.servers import run_on_sqlite


def figures(user, day) -> tuple:
    row = TokenUsageDay.objects.get(user=user, day=day)
    return row.prompt_tokens, row.completion_tokens, row.calls, row.estimated_calls


def test_the_first_call_of_a_day_makes_its_row_and_the_next_add_to_it(owner, outsider):
    day = date(2026, 3, 1)
    usage_record(user_id=owner.pk, prompt_tokens=100, completion_tokens=20, estimated=False, day=day)
    usage_record(user_id=owner.pk, prompt_tokens=50, completion_tokens=5, estimated=True, day=day)
    usage_record(user_id=outsider.pk, prompt_tokens=7, completion_tokens=7, estimated=True, day=day)
    assert figures(owner, day) == (150, 25, 2, 1)
    assert figures(outsider, day) == (7, 7, 1, 1)


def test_without_a_day_it_is_today_in_the_servers_time_zone(owner, settings, monkeypatch):
    settings.TIME_ZONE = "Pacific/Auckland"
    # Already the 2nd in Auckland.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    usage_record(user_id=owner.pk, prompt_tokens=1, completion_tokens=1, estimated=False)
    assert TokenUsageDay.objects.get(user=owner).day == date(2026, 3, 2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_calls_at_once_both_count(owner):
    day = date(2026, 3, 1)
    usage_record(user_id=owner.pk, prompt_tokens=1, completion_tokens=1, estimated=False, day=day)
    with transaction.atomic():
        usage_record(user_id=owner.pk, prompt_tokens=10, completion_tokens=2, estimated=False, day=day)
        # Another reply's transaction adds to the same row meanwhile: it waits for this one's lock.
        thread, outcome = in_a_thread(
            lambda: usage_record(user_id=owner.pk, prompt_tokens=300, completion_tokens=40, estimated=True, day=day)
        )
        wait_until_another_transaction_waits_for_a_lock()
    thread.join()
    assert outcome == [None]
    assert figures(owner, day) == (311, 43, 3, 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_first_calls_of_a_day_at_once_make_one_row(owner):
    day = date(2026, 3, 2)
    with transaction.atomic():
        usage_record(user_id=owner.pk, prompt_tokens=10, completion_tokens=2, estimated=False, day=day)
        thread, outcome = in_a_thread(
            lambda: usage_record(user_id=owner.pk, prompt_tokens=5, completion_tokens=1, estimated=True, day=day)
        )
        wait_until_another_transaction_waits_for_a_lock()
    thread.join()
    assert outcome == [None]
    assert figures(owner, day) == (15, 3, 2, 1)


SQLITE_SCRIPT = """
import threading
from datetime import date
import django
django.setup()
from django.core.management import call_command
from django.db import close_old_connections
call_command("migrate", verbosity=0)
from accounts.models import User
from conversation.models import TokenUsageDay
from conversation.usage.services import usage_record
user = User.objects.create_user(email="lite@example.com", password="x")
day = date(2026, 3, 1)

def record(n):
    for _ in range(n):
        usage_record(user_id=user.pk, prompt_tokens=3, completion_tokens=2, estimated=False, day=day)
    close_old_connections()

threads = [threading.Thread(target=record, args=(25,)) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
usage_record(user_id=user.pk, prompt_tokens=1, completion_tokens=0, estimated=True, day=day)
row = TokenUsageDay.objects.get(user=user, day=day)
print("ok", row.prompt_tokens, row.completion_tokens, row.calls, row.estimated_calls)
"""


def test_on_the_embedded_default_calls_from_many_threads_all_count(tmp_path):
    result = run_on_sqlite(SQLITE_SCRIPT, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["ok", "301", "200", "101", "1"]

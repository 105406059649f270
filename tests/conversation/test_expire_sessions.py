import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from conversation import services
from conversation.models import Session, Utterance
from tests.helpers import say


def make_chat(user, *, days_ago: int, messages: int = 3) -> Session:
    session = services.session_create(user=user)
    say(user, session, *[f"m{n}" for n in range(messages)])
    Session.objects.filter(pk=session.pk).update(last_activity_at=timezone.now() - timedelta(days=days_ago))
    return session


def run(*args: str) -> str:
    out = StringIO()
    call_command("expire_sessions", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_counts_and_changes_nothing(owner):
    make_chat(owner, days_ago=100)
    make_chat(owner, days_ago=5)
    output = run("--dry-run")
    assert "would remove 1 sessions and 3 utterances" in output
    assert Session.objects.count() == 2
    assert Utterance.objects.count() == 6


def test_it_removes_only_sessions_inactive_longer_than_the_retention(owner, settings):
    settings.SESSION_RETENTION_DAYS = 30
    old = make_chat(owner, days_ago=31)
    recent = make_chat(owner, days_ago=29)
    output = run()
    assert "Removed 1 sessions and 3 utterances" in output
    assert list(Session.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Utterance.objects.filter(session_id=old.pk).exists()


def test_it_works_in_batches(owner):
    for _ in range(5):
        make_chat(owner, days_ago=10, messages=2)
    output = run("--inactive-days", "7", "--batch-size", "2")
    assert "Removed 5 sessions and 10 utterances" in output
    assert "in 3 batches" in output
    assert not Session.objects.exists()


def test_it_respects_user(owner, outsider):
    make_chat(owner, days_ago=100)
    theirs = make_chat(outsider, days_ago=100)
    output = run("--user", "OWNER@example.com")
    assert "Removed 1 sessions" in output
    assert list(Session.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_session_touched_mid_run_is_not_removed(owner, monkeypatch):
    first, second = make_chat(owner, days_ago=100), make_chat(owner, days_ago=100)
    Session.objects.filter(pk=first.pk).update(last_activity_at=timezone.now() - timedelta(days=101))
    real_batch = services.sessions_expire_batch

    def batch_then_user_chats(**kwargs):
        result = real_batch(**kwargs)
        if Session.objects.filter(pk=second.pk).exists():
            say(owner, second, "I'm back")
        return result

    monkeypatch.setattr(services, "sessions_expire_batch", batch_then_user_chats)
    output = run("--inactive-days", "30", "--batch-size", "1")
    assert "Removed 1 sessions" in output
    assert list(Session.objects.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_being_written_right_now_is_skipped(owner):
    busy = make_chat(owner, days_ago=100)
    idle = make_chat(owner, days_ago=100)
    locked, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                Session.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    locked.wait(10)
    try:
        output = run("--inactive-days", "30")
    finally:
        release.set()
        thread.join()
    assert "Removed 1 sessions" in output
    assert list(Session.objects.values_list("pk", flat=True)) == [busy.pk]
    assert not Session.objects.filter(pk=idle.pk).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--inactive-days", "0"],
        ["--inactive-days", "abc"],
        ["--batch-size", "-3"],
        ["--user", "nobody@example.com"],
    ],
)
def test_bad_arguments_fail_with_a_message(db, args):
    with pytest.raises(CommandError) as caught:
        call_command("expire_sessions", *args)
    assert str(caught.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--inactive-days", "zero"], "'zero' is not a whole number."),
        (["--inactive-days", "abc"], "'abc' is not a whole number."),
        (["--batch-size", "-3"], "-3 must be at least 1."),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_bad_arguments_answer_one_line_and_exit_non_zero_from_the_command_line(db, args, message):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "expire_sessions", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr


def trash(session, *, days_ago: int) -> None:
    services.session_trash(user=session.user, session_id=session.pk)
    Session.objects.filter(pk=session.pk).update(deleted_at=timezone.now() - timedelta(days=days_ago))


def test_it_removes_for_good_what_has_been_in_the_trash_past_the_grace_period(owner, outsider, settings):
    settings.TRASH_RETENTION_DAYS = 30
    due, recent, live = (make_chat(owner, days_ago=1) for _ in range(3))
    theirs = make_chat(outsider, days_ago=1)
    trash(due, days_ago=31)
    trash(recent, days_ago=29)
    trash(theirs, days_ago=40)

    assert "would remove 2 sessions and 6 utterances in the trash for more than 30 days" in run("--dry-run")
    output = run("--user", "owner@example.com")

    assert "Removed 1 sessions and 3 utterances of owner@example.com in the trash for more than 30 days" in output
    assert set(Session.objects.values_list("pk", flat=True)) == {recent.pk, live.pk, theirs.pk}
    assert "Removed 2 sessions and 6 utterances in the trash for more than 7 days" in run("--trash-days", "7")
    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]

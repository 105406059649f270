import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from conversation.models import Session, SessionAudit, Utterance
from conversation.sessions import expiry
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_restore, session_trash
from tests.helpers import say


def make_chat(user, *, days_ago: int, messages: int = 3) -> Session:
    session = session_create(user=user)
    say(user, session, *[f"m{n}" for n in range(messages)])
    Session.objects.filter(pk=session.pk).update(last_activity_at=timezone.now() - timedelta(days=days_ago))
    return session


def run(*args: str) -> str:
    out = StringIO()
    call_command("expire_sessions", *args, stdout=out)
    return out.getvalue()


def live_ids() -> set:
    return set(Session.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))


def trashed_ids() -> set:
    return set(Session.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))


def test_a_dry_run_counts_and_changes_nothing(owner, settings):
    settings.SESSION_RETENTION_DAYS = 90
    make_chat(owner, days_ago=100)
    make_chat(owner, days_ago=5)
    output = run("--dry-run")
    assert "would move 1 sessions and 3 utterances to the trash" in output
    assert trashed_ids() == set()
    assert Utterance.objects.count() == 6


def test_it_moves_sessions_inactive_longer_than_their_owners_retention_to_the_trash(owner, outsider, settings):
    settings.SESSION_RETENTION_DAYS = None
    User.objects.filter(pk=owner.pk).update(retention_days=30)
    old = make_chat(owner, days_ago=31)
    recent = make_chat(owner, days_ago=29)
    kept = make_chat(outsider, days_ago=1000)  # the outsider keeps everything (the default)

    output = run()

    assert "Moved 1 sessions and 3 utterances to the trash, inactive for longer than their owner's retention" in output
    assert trashed_ids() == {old.pk}
    assert live_ids() == {recent.pk, kept.pk}
    assert Utterance.objects.filter(session_id=old.pk).count() == 3  # restorable as it was


def test_each_owner_has_their_own_retention(owner, outsider, settings):
    settings.SESSION_RETENTION_DAYS = None
    User.objects.filter(pk=owner.pk).update(retention_days=30)
    User.objects.filter(pk=outsider.pk).update(retention_days=365)
    mine, theirs = make_chat(owner, days_ago=100), make_chat(outsider, days_ago=100)
    very_old = make_chat(outsider, days_ago=400)
    run()
    assert trashed_ids() == {mine.pk, very_old.pk}
    assert live_ids() == {theirs.pk}


def test_the_deployments_cap_and_inactive_days_cap_every_owner(owner, outsider, settings):
    settings.SESSION_RETENTION_DAYS = 90
    User.objects.filter(pk=outsider.pk).update(retention_days=365)
    mine, theirs, recent = (
        make_chat(owner, days_ago=100),
        make_chat(outsider, days_ago=100),
        make_chat(owner, days_ago=20),
    )
    assert "(at most 90 days)" in run()
    assert trashed_ids() == {mine.pk, theirs.pk}
    run("--inactive-days", "10")
    assert trashed_ids() == {mine.pk, theirs.pk, recent.pk}


def test_pinned_sessions_are_exempt_and_archived_ones_are_not(owner, settings):
    settings.SESSION_RETENTION_DAYS = 30
    pinned, archived = make_chat(owner, days_ago=100), make_chat(owner, days_ago=100)
    session_update(user=owner, session_id=pinned.pk, pinned=True)
    session_update(user=owner, session_id=archived.pk, archived=True)
    run()
    assert trashed_ids() == {archived.pk}


def test_a_moved_session_is_audited_and_restorable_then_purged_after_the_grace_period(owner, settings):
    settings.SESSION_RETENTION_DAYS = 30
    settings.TRASH_RETENTION_DAYS = 30
    old = make_chat(owner, days_ago=40)
    run()
    audit = SessionAudit.objects.get(session_id=old.pk)
    assert (audit.action, audit.cause, audit.actor_id, audit.owner_id, audit.utterance_count) == (
        SessionAudit.Action.TRASH,
        SessionAudit.Cause.EXPIRY,
        None,
        owner.pk,
        3,
    )
    assert "Removed 0 sessions" in run()  # the grace period has only begun
    Session.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert "Removed 1 sessions and 3 utterances in the trash for more than 30 days" in run()
    assert not Session.objects.filter(pk=old.pk).exists()


def test_a_restored_session_is_kept_a_whole_retention_period_again(owner, settings):
    settings.SESSION_RETENTION_DAYS = 30
    old = make_chat(owner, days_ago=40)
    run()
    session_restore(user=owner, session_id=old.pk)
    run()
    assert live_ids() == {old.pk}
    Session.objects.filter(pk=old.pk).update(restored_at=timezone.now() - timedelta(days=31))
    run()
    assert trashed_ids() == {old.pk}


def test_it_works_in_batches(owner):
    for _ in range(5):
        make_chat(owner, days_ago=10, messages=2)
    output = run("--inactive-days", "7", "--batch-size", "2")
    assert "Moved 5 sessions and 10 utterances" in output
    assert "in 3 batches" in output
    assert live_ids() == set()


def test_it_respects_user(owner, outsider):
    make_chat(owner, days_ago=100)
    theirs = make_chat(outsider, days_ago=100)
    output = run("--user", "OWNER@example.com", "--inactive-days", "90")
    assert "Moved 1 sessions and 3 utterances of owner@example.com to the trash" in output
    assert live_ids() == {theirs.pk}


def test_a_session_touched_mid_run_is_not_moved(owner, monkeypatch):
    first, second = make_chat(owner, days_ago=100), make_chat(owner, days_ago=100)
    Session.objects.filter(pk=first.pk).update(last_activity_at=timezone.now() - timedelta(days=101))
    real_batch = expiry.sessions_retire_batch

    def batch_then_user_chats(**kwargs):
        result = real_batch(**kwargs)
        if second.pk in live_ids():
            say(owner, second, "I'm back")
        return result

    monkeypatch.setattr(expiry, "sessions_retire_batch", batch_then_user_chats)
    output = run("--inactive-days", "30", "--batch-size", "1")
    assert "Moved 1 sessions" in output
    assert live_ids() == {second.pk}


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
    assert "Moved 1 sessions" in output
    assert live_ids() == {busy.pk}
    assert trashed_ids() == {idle.pk}


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
    session_trash(user=session.user, session_id=session.pk)
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

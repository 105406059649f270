"""Every removal leaves an audit row: trash, restore, purge, expiry, admin (tests/conversation/test_admin.py),
account erasure. Never any text."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from account_data import services as account_data_services
from accounts import services as accounts_services
from conversation.models import Session, SessionAudit
from conversation.sessions.bulk import sessions_bulk, trash_empty
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_delete, session_restore, session_trash
from tests.helpers import say


def rows() -> list[tuple]:
    return list(
        SessionAudit.objects.order_by("id").values_list("action", "cause", "actor_id", "owner_id", "utterance_count")
    )


def test_trash_restore_and_purge_by_the_owner(owner, session):
    say(owner, session, "one", "two", "three")
    session_trash(user=owner, session_id=session.pk)
    session_restore(user=owner, session_id=session.pk)
    session_delete(user=owner, session_id=session.pk)
    assert rows() == [
        ("trash", "user", owner.pk, owner.pk, 3),
        ("restore", "user", owner.pk, owner.pk, 3),
        ("purge", "user", owner.pk, owner.pk, 3),
    ]
    assert set(SessionAudit.objects.values_list("session_id", flat=True)) == {session.pk}


def test_bulk_actions_and_emptying_the_trash(owner):
    sessions = [session_create(user=owner) for _ in range(3)]
    say(owner, sessions[0], "x")
    ids = [str(s.pk) for s in sessions]
    sessions_bulk(user=owner, session_ids=ids, action="pin")  # not a removal
    sessions_bulk(user=owner, session_ids=ids, action="trash")
    assert trash_empty(user=owner) == (3, 1)
    assert sorted(rows()) == sorted(
        [("trash", "user", owner.pk, owner.pk, n) for n in (1, 0, 0)]
        + [("purge", "user", owner.pk, owner.pk, n) for n in (1, 0, 0)]
    )


def test_expiry_of_old_sessions_and_of_the_trash(owner):
    accounts_services.account_settings_update(user=owner, retention_days=30)
    old = session_create(user=owner)
    say(owner, old, "ancient")
    Session.objects.filter(pk=old.pk).update(last_activity_at=timezone.now() - timedelta(days=400))
    binned = session_create(user=owner)
    session_trash(user=owner, session_id=binned.pk)
    Session.objects.filter(pk=binned.pk).update(deleted_at=timezone.now() - timedelta(days=40))
    call_command("expire_sessions", verbosity=0)
    assert rows()[1:] == [("trash", "expiry", None, owner.pk, 1), ("purge", "expiry", None, owner.pk, 0)]


def test_account_erasure_keeps_the_record_but_nothing_of_the_text(owner, outsider, session):
    say(owner, session, "private words")
    account_data_services.users_delete(user_ids=[owner.pk], actor_id=outsider.pk)
    assert rows() == [("purge", "erasure", outsider.pk, owner.pk, 1)]
    assert not Session.objects.filter(pk=session.pk).exists()

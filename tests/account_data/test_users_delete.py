"""users_delete against another writer of the same account: a session committed while the erasure
runs neither survives it nor makes it fail."""

import threading

import pytest
from django.db import IntegrityError, connection, connections

from account_data import services
from accounts.models import User
from conversation.models import Session
from conversation.sessions import lifecycle
from conversation.sessions.create import session_create

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_a_session_added_during_the_erasure_waits_for_it_and_finds_its_owner_gone(owner, monkeypatch):
    session_create(user=owner, title="before")
    other: dict = {}

    def add_a_session() -> None:
        other["pid"] = connections["default"].cursor().connection.info.backend_pid
        try:
            session_create(user=User.objects.get(pk=owner.pk), title="during")
        except IntegrityError as exc:
            other["error"] = exc
        finally:
            connections["default"].close()

    delete = lifecycle.sessions_delete

    def delete_while_another_writes(**kwargs):
        # The erasure has listed the account's sessions: another writer adds one now, and its
        # commit must wait for the erasure (the account's row is locked) rather than slip past.
        writer = threading.Thread(target=add_a_session)
        writer.start()
        while writer.is_alive() and not ("pid" in other and waiting_on_a_lock(other["pid"])):
            writer.join(0.01)
        other["waited"] = writer.is_alive()
        result = delete(**kwargs)
        other["writer"] = writer
        return result

    monkeypatch.setattr(services, "sessions_delete", delete_while_another_writes)

    assert services.users_delete(user_ids=[owner.pk]) == (1, 1, 0)

    other["writer"].join(30)
    assert other["waited"]
    assert isinstance(other.get("error"), IntegrityError)
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Session.objects.filter(user_id=owner.pk).exists()

from conversation.models import Session, Utterance
from conversation.sessions.bulk import trash_empty
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from tests.helpers import say


def test_it_removes_the_users_trash_for_good_and_counts_it(owner, outsider):
    kept = session_create(user=owner, title="kept")
    say(owner, kept, "stay")
    for n in range(5):
        doomed = session_create(user=owner)
        say(owner, doomed, *[f"m{i}" for i in range(n + 1)])
        session_trash(user=owner, session_id=doomed.pk)
    theirs = session_create(user=outsider)
    say(outsider, theirs, "theirs")
    session_trash(user=outsider, session_id=theirs.pk)

    assert trash_empty(user=owner, batch_size=2) == (5, 15)

    assert list(Session.objects.filter(user=owner).values_list("title", flat=True)) == ["kept"]
    assert Session.objects.filter(pk=theirs.pk, deleted_at__isnull=False).exists()
    assert Utterance.objects.count() == 2


def test_an_empty_trash_removes_nothing(owner, session):
    assert trash_empty(user=owner) == (0, 0)
    assert Session.objects.filter(pk=session.pk).exists()

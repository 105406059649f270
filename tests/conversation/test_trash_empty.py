from conversation import services
from conversation.models import Session, Utterance
from tests.helpers import say


def test_it_removes_the_users_trash_for_good_and_counts_it(owner, outsider):
    kept = services.session_create(user=owner, title="kept")
    say(owner, kept, "stay")
    for n in range(5):
        doomed = services.session_create(user=owner)
        say(owner, doomed, *[f"m{i}" for i in range(n + 1)])
        services.session_trash(user=owner, session_id=doomed.pk)
    theirs = services.session_create(user=outsider)
    say(outsider, theirs, "theirs")
    services.session_trash(user=outsider, session_id=theirs.pk)

    assert services.trash_empty(user=owner, batch_size=2) == (5, 15)

    assert list(Session.objects.filter(user=owner).values_list("title", flat=True)) == ["kept"]
    assert Session.objects.filter(pk=theirs.pk, deleted_at__isnull=False).exists()
    assert Utterance.objects.count() == 2


def test_an_empty_trash_removes_nothing(owner, session):
    assert services.trash_empty(user=owner) == (0, 0)
    assert Session.objects.filter(pk=session.pk).exists()

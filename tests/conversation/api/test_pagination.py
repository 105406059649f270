from conversation import services
from conversation.models import Session
from tests.helpers import say


def test_sessions_walk_without_duplicate_or_gap_while_new_ones_arrive(api, owner):
    originals = [services.session_create(user=owner, title=f"s{n}") for n in range(250)]
    seen: list[str] = []
    url = "/api/sessions/?limit=40"
    while url:
        body = api.get(url).json()
        seen += [s["id"] for s in body["results"]]
        services.session_create(user=owner, title="arrived while paging")
        url = body["next"]
    assert len(seen) == len(set(seen))
    assert set(seen) == {str(s.pk) for s in originals}


def test_sessions_with_identical_activity_times_still_walk_exactly(api, owner):
    sessions = [services.session_create(user=owner) for _ in range(30)]
    Session.objects.filter(user=owner).update(last_activity_at=sessions[0].last_activity_at)
    seen, url = [], "/api/sessions/?limit=7"
    while url:
        body = api.get(url).json()
        seen += [s["id"] for s in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(s.pk) for s in sessions)


def test_history_walks_back_through_1000_utterances_while_new_ones_arrive(api, owner, session):
    for start in range(0, 1000, 500):
        say(owner, session, *[f"m{n}" for n in range(start, start + 500)])
    seen: list[int] = []
    url = f"/api/sessions/{session.pk}/utterances/?limit=200"
    while url:
        body = api.get(url).json()
        seen = [u["seq"] for u in body["results"]] + seen
        say(owner, session, "arrived while paging")
        url = body["previous"]
    assert seen == list(range(1, 1001))

import base64

from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lists import session_list_for_user
from tests.helpers import say


def test_sessions_walk_without_duplicate_or_gap_while_new_ones_arrive(api, owner):
    originals = [session_create(user=owner, title=f"s{n}") for n in range(250)]
    seen: list[str] = []
    url = "/api/sessions/?limit=40"
    while url:
        body = api.get(url).json()
        seen += [s["id"] for s in body["results"]]
        session_create(user=owner, title="arrived while paging")
        url = body["next"]
    assert len(seen) == len(set(seen))
    assert set(seen) == {str(s.pk) for s in originals}


def test_sessions_with_identical_activity_times_still_walk_exactly(api, owner):
    sessions = [session_create(user=owner) for _ in range(30)]
    Session.objects.filter(user=owner).update(last_activity_at=sessions[0].last_activity_at)
    seen, url = [], "/api/sessions/?limit=7"
    while url:
        body = api.get(url).json()
        seen += [s["id"] for s in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(s.pk) for s in sessions)


def test_sessions_walk_back_by_the_previous_links_page_for_page(api, owner):
    sessions = [session_create(user=owner) for _ in range(23)]
    Session.objects.filter(pk__in=[s.pk for s in sessions[5:12]]).update(last_activity_at=sessions[5].last_activity_at)
    forward, url = [], "/api/sessions/?limit=5"
    while url:
        body = api.get(url).json()
        forward.append([s["id"] for s in body["results"]])
        last, url = body, body["next"]
    backward, url = [forward[-1]], last["previous"]
    while url:
        body = api.get(url).json()
        backward.append([s["id"] for s in body["results"]])
        url = body["previous"]
    assert backward[::-1] == forward
    assert [i for page in forward for i in page] == [str(s["id"]) for s in session_list_for_user(user=owner)]


def test_a_cursor_not_made_here_is_a_400_that_says_so(api, owner):
    session_create(user=owner)
    forged = base64.b64encode(b"o=0&r=0&p=not-a-time").decode()
    for cursor in (forged, "not-base64!"):
        response = api.get(f"/api/sessions/?cursor={cursor}")
        assert response.status_code == 400, response.content
        assert response.json()["errors"]["cursor"] == ["Invalid cursor: use the next or previous link as given."]


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

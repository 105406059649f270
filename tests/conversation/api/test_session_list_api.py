from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from tests.helpers import say

URL = "/api/sessions/"


def test_it_lists_the_users_sessions_newest_activity_first(api, owner, outsider):
    first = session_create(user=owner, title="First")
    session_create(user=owner, title="Second")
    session_create(user=outsider, title="Not mine")
    say(owner, first, "bump")
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [s["title"] for s in body["results"]] == ["First", "Second"]
    assert body["results"][0]["persona"] == {"slug": "default", "name": "Default Assistant"}
    assert body["results"][0]["message_count"] == 1
    assert set(body) == {"next", "previous", "results"}


def test_it_filters_by_persona(api, owner):
    session_create(user=owner, title="Plain")
    session_create(user=owner, title="Story", persona="creative-writer")
    assert [s["title"] for s in api.get(URL, {"persona": "creative-writer"}).json()["results"]] == ["Story"]


def test_q_searches_and_returns_the_snippet(api, owner, outsider):
    session = session_create(user=owner, title="Holiday")
    say(owner, session, "Plan a trip to Lisbon in May")
    theirs = session_create(user=outsider)
    say(outsider, theirs, "Lisbon again")
    [hit] = api.get(URL, {"q": "lisbon"}).json()["results"]
    assert hit["id"] == str(session.pk)
    assert hit["match_seq"] == 1
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "Lisbon"


def test_it_creates_a_session(api, owner):
    response = api.post(URL, {"persona": "technical-support", "title": "Router", "metadata": {"k": 1}}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["persona"]["slug"], body["metadata"]) == ("Router", "technical-support", {"k": 1})
    assert body["counts"] == {"user": 0, "assistant": 0, "system": 0}
    assert owner.chat_sessions.count() == 1


def test_it_makes_a_fixed_number_of_queries(api, owner, django_assert_num_queries):
    for n in range(3):
        session_create(user=owner, title=f"s{n}")
    with django_assert_num_queries(2):  # the token, the page
        api.get(URL)
    for n in range(40):
        session_create(user=owner, title=f"more{n}", persona="creative-writer")
    with django_assert_num_queries(2):
        assert len(api.get(URL).json()["results"]) == 43
    for view in ("pinned", "archived", "trash"):
        with django_assert_num_queries(2):
            api.get(URL, {"view": view})


def test_a_search_too_broad_to_rank_in_time_says_to_refine_it(api, owner, settings):
    session = session_create(user=owner)
    for _ in range(40):
        say(owner, session, *[f"bread number {n}" for n in range(500)])
    settings.SEARCH_TIMEOUT_MS = 1
    response = api.get("/api/sessions/?q=bread")
    assert response.status_code == 200
    body = response.json()
    assert (body["results"], body["too_broad"]) == ([], True)
    assert "narrow the search" in body["detail"]


def test_each_view_lists_its_sessions_with_their_lifecycle_times(api, owner):
    _plain, pinned, archived = (session_create(user=owner, title=t) for t in ("Plain", "Pinned", "Archived"))
    assert api.patch(f"{URL}{pinned.pk}/", {"pinned": True}, format="json").status_code == 200
    assert api.patch(f"{URL}{archived.pk}/", {"archived": True}, format="json").status_code == 200

    def titles(view=None):
        return [s["title"] for s in api.get(URL, {"view": view} if view else {}).json()["results"]]

    assert titles() == titles("live") == ["Pinned", "Plain"]
    assert titles("pinned") == ["Pinned"]
    assert titles("archived") == ["Archived"]
    [row] = api.get(URL, {"view": "pinned"}).json()["results"]
    assert row["pinned_at"].endswith("Z")
    assert (row["archived_at"], row["deleted_at"]) == (None, None)


def test_an_unknown_view_is_a_clear_400(api):
    response = api.get(URL, {"view": "everything"})
    assert response.status_code == 400
    assert "view" in response.json()["errors"]


def test_a_views_pages_keep_the_view(api, owner):
    for n in range(5):
        session = session_create(user=owner, title=f"a{n}")
        session_update(user=owner, session_id=session.pk, archived=True)
    session_create(user=owner, title="live one")
    first = api.get(URL, {"view": "archived", "limit": 3}).json()
    second = api.get(first["next"]).json()
    assert [s["title"] for s in first["results"] + second["results"]] == [f"a{n}" for n in range(4, -1, -1)]
    assert second["next"] is None


def test_search_finds_archived_sessions(api, owner):
    session = session_create(user=owner, title="Lisbon trip")
    session_update(user=owner, session_id=session.pk, archived=True)
    [hit] = api.get(URL, {"q": "lisbon"}).json()["results"]
    assert (hit["id"], hit["archived_at"] is not None) == (str(session.pk), True)


def test_the_trash_pages_by_deletion_time(api, owner):
    made = [session_create(user=owner, title=f"t{n}") for n in range(5)]
    for session in reversed(made):  # t4 deleted first, t0 last
        session_trash(user=owner, session_id=session.pk)
    first = api.get(URL, {"view": "trash", "limit": 2}).json()
    rest = api.get(first["next"]).json()
    rest = rest["results"] + api.get(rest["next"]).json()["results"]
    assert [s["title"] for s in first["results"] + rest] == ["t0", "t1", "t2", "t3", "t4"]

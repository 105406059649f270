from conversation.models import Session, Tag
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from conversation.tags.services import sessions_tag

TAGS = "/api/tags/"


def tags_url(session) -> str:
    return f"/api/sessions/{session.pk}/tags/"


def test_put_replaces_a_chats_tags_and_answers_them_sorted(api, owner):
    session = session_create(user=owner)
    response = api.put(tags_url(session), {"tags": ["work", "Alpha"]}, format="json")
    assert (response.status_code, response.json()) == (200, {"tags": ["Alpha", "work"]})
    assert api.put(tags_url(session), {"tags": ["ALPHA"]}, format="json").json() == {"tags": ["Alpha"]}
    assert api.get(f"/api/sessions/{session.pk}/").json()["tags"] == ["Alpha"]
    assert api.put(tags_url(session), {"tags": []}, format="json").json() == {"tags": []}


def test_another_users_chat_and_a_trashed_one_are_not_found(api, owner, outsider):
    theirs, trashed = session_create(user=outsider), session_create(user=owner)
    session_trash(user=owner, session_id=trashed.pk)
    for session in (theirs, trashed):
        assert api.put(tags_url(session), {"tags": ["x"]}, format="json").status_code == 404
    assert api.put("/api/sessions/nope/tags/", {"tags": ["x"]}, format="json").status_code == 404
    assert not Tag.objects.exists()


def test_bad_names_and_limits_are_a_400_with_nothing_written(api, owner, settings):
    session = session_create(user=owner)
    for body in ({"tags": ["a,b"]}, {"tags": [" "]}, {"tags": ["x" * 51]}, {"tags": [3]}, {"tags": "x"}, {}):
        response = api.put(tags_url(session), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"]
    too_many = [f"t{i}" for i in range(settings.MAX_TAGS_PER_SESSION + 1)]
    assert api.put(tags_url(session), {"tags": too_many}, format="json").status_code == 400
    settings.MAX_TAGS = 1
    response = api.put(tags_url(session), {"tags": ["one", "two"]}, format="json")
    assert response.status_code == 400
    assert "at most 1 tags" in response.json()["detail"]
    assert not Tag.objects.exists()
    assert Session.objects.get(pk=session.pk).tag_names == []


def test_the_list_suggests_the_users_tags_by_prefix_in_any_case(api, owner, outsider):
    mine, theirs = session_create(user=owner), session_create(user=outsider)
    sessions_tag(user=owner, session_ids=[mine.pk], names=["Work", "workshop", "home", "50%_off"])
    sessions_tag(user=outsider, session_ids=[theirs.pk], names=["workers"])
    names = lambda params: [t["name"] for t in api.get(TAGS, params).json()["results"]]  # noqa: E731
    assert names({}) == ["50%_off", "home", "Work", "workshop"]
    assert names({"prefix": "WOR"}) == ["Work", "workshop"]
    assert names({"prefix": "wor", "limit": 1}) == ["Work"]
    assert names({"prefix": "5"}) == ["50%_off"]
    assert names({"prefix": "%"}) == []
    assert set(api.get(TAGS).json()["results"][0]) == {"id", "name"}
    assert api.get(TAGS, {"limit": 0}).status_code == 400


def test_rename_and_delete_rewrite_the_chats_and_another_users_tag_is_not_found(api, outsider_api, owner):
    session = session_create(user=owner)
    sessions_tag(user=owner, session_ids=[session.pk], names=["old", "other"])
    tag = Tag.objects.get(name="old")
    url = f"{TAGS}{tag.pk}/"
    assert outsider_api.patch(url, {"name": "stolen"}, format="json").status_code == 404
    assert outsider_api.delete(url).status_code == 404
    assert api.patch(url, {"name": "OTHER"}, format="json").status_code == 400
    response = api.patch(url, {"name": " new "}, format="json")
    assert (response.status_code, response.json()) == (200, {"id": str(tag.pk), "name": "new"})
    assert Session.objects.get(pk=session.pk).tag_names == ["new", "other"]
    assert api.delete(url).status_code == 204
    assert Session.objects.get(pk=session.pk).tag_names == ["other"]
    assert api.delete(url).status_code == 404
    assert api.patch(f"{TAGS}not-a-uuid/", {"name": "x"}, format="json").status_code == 404


def test_the_session_lists_filter_by_a_tag_in_each_view_and_paginate(api, owner, outsider):
    tagged = [session_create(user=owner, title=f"t{i}") for i in range(5)]
    session_create(user=owner, title="untagged")
    theirs = session_create(user=outsider, title="theirs")
    sessions_tag(user=owner, session_ids=[s.pk for s in tagged], names=["Trip"])
    sessions_tag(user=outsider, session_ids=[theirs.pk], names=["trip"])
    session_update(user=owner, session_id=tagged[0].pk, archived=True)
    session_trash(user=owner, session_id=tagged[1].pk)
    titles = lambda body: [s["title"] for s in body["results"]]  # noqa: E731
    first = api.get("/api/sessions/", {"tag": "trip", "limit": 2}).json()
    second = api.get(first["next"]).json()
    assert titles(first) + titles(second) == ["t4", "t3", "t2"]
    assert second["next"] is None
    assert titles(api.get("/api/sessions/", {"tag": "TRIP", "view": "archived"}).json()) == ["t0"]
    assert titles(api.get("/api/sessions/", {"tag": "trip", "view": "trash"}).json()) == ["t1"]
    assert titles(api.get("/api/sessions/", {"tag": "nothing"}).json()) == []


def test_the_tag_filter_and_the_tag_doors_make_a_fixed_number_of_queries(api, owner, django_assert_num_queries):
    sessions = [session_create(user=owner) for _ in range(3)]
    sessions_tag(user=owner, session_ids=[s.pk for s in sessions], names=["x"])
    with django_assert_num_queries(2):  # the token, the page
        api.get("/api/sessions/", {"tag": "x"})
    more = [session_create(user=owner) for _ in range(30)]
    sessions_tag(user=owner, session_ids=[s.pk for s in more], names=["x", "y"])
    with django_assert_num_queries(2):
        assert len(api.get("/api/sessions/", {"tag": "x"}).json()["results"]) == 33
    with django_assert_num_queries(2):  # the token, the tags
        api.get(TAGS, {"prefix": "x"})
    # The token, a savepoint and its release, the user's lock, the session's, the user's tags, the
    # chat's links, the new tag (in a savepoint of its own), the links removed and added, the names,
    # the tags for the event.
    with django_assert_num_queries(14):
        api.put(tags_url(sessions[0]), {"tags": ["y", "new"]}, format="json")
    with django_assert_num_queries(14):
        api.put(tags_url(sessions[1]), {"tags": ["z", "newer"]}, format="json")

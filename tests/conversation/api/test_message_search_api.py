from datetime import timedelta

import pytest
from django.utils import timezone

from conversation.branches.edits import utterance_edit
from conversation.models import Utterance
from conversation.search import messages
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from tests.conversation.search.library import file_in, folder, tag
from tests.helpers import say

URL = "/api/search/"


def found(api, **params) -> list[tuple[str, int]]:
    response = api.get(URL, params)
    assert response.status_code == 200, response.json()
    return [(hit["session"]["title"], hit["seq"]) for hit in response.json()["results"]]


@pytest.fixture
def chats(owner, outsider):
    bread = session_create(user=owner, title="Bread")
    say(owner, bread, "How long should sourdough proof?")
    say(owner, bread, "Proof sourdough overnight in the fridge.", role="assistant")
    trip = session_create(user=owner, title="Trip", persona="creative-writer")
    say(owner, trip, "A sourdough bakery in Lisbon")
    theirs = session_create(user=outsider, title="Theirs")
    say(outsider, theirs, "sourdough sourdough sourdough")
    return {"bread": bread, "trip": trip, "theirs": theirs}


def test_it_answers_messages_with_their_session_snippet_and_url(api, owner, chats):
    response = api.get(URL, {"q": "lisbon"})
    assert response.status_code == 200
    body = response.json()
    assert (body["next"], body["partial"], body["message"]) == (None, False, "")
    [hit] = body["results"]
    trip = chats["trip"]
    assert hit["session"] == {"id": str(trip.pk), "title": "Trip", "folder": None, "tags": []}
    assert (hit["seq"], hit["role"], hit["active_branch"]) == (1, "user", True)
    assert hit["url"] == f"/c/{trip.pk}/?at=1"
    start, end = hit["highlights"][0]
    assert hit["snippet"][start:end] == "Lisbon"
    assert set(hit) == {"session", "seq", "role", "created_at", "rank", "active_branch", "snippet", "highlights", "url"}


def test_it_never_answers_another_users_messages(api, outsider_api, chats):
    assert ("Theirs", 1) not in found(api, q="sourdough")
    assert found(outsider_api, q="sourdough") == [("Theirs", 1)]
    assert found(outsider_api, q="lisbon") == []


def test_it_finds_a_word_on_an_inactive_branch_and_says_so(api, owner, chats):
    utterance_edit(user=owner, session_id=chats["bread"].pk, seq=1, text="How warm should the kitchen be?")
    hits = api.get(URL, {"q": "proof"}).json()["results"]
    assert {(h["seq"], h["active_branch"]) for h in hits} == {(1, False), (2, False)}
    assert api.get(URL, {"q": "proof", "branch": "active"}).json()["results"] == []
    [hit] = api.get(URL, {"q": "kitchen", "branch": "active"}).json()["results"]
    assert (hit["seq"], hit["active_branch"]) == (3, True)


def test_it_filters_by_role_and_persona_in_params_and_in_the_query(api, chats):
    assert found(api, q="sourdough", role="assistant") == [("Bread", 2)]
    assert found(api, q="sourdough role:assistant") == [("Bread", 2)]
    assert found(api, q="sourdough", persona="creative-writer") == [("Trip", 1)]
    assert found(api, q="sourdough persona:creative-writer role:user") == [("Trip", 1)]
    assert found(api, q="sourdough persona:creative-writer", role="assistant") == []


def test_it_filters_by_dates_both_days_included(api, owner, chats):
    Utterance.objects.filter(session=chats["trip"]).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    earlier = (today - timedelta(days=10)).isoformat()
    assert sorted(found(api, q="sourdough", **{"from": today.isoformat()})) == [("Bread", 1), ("Bread", 2)]
    assert found(api, q="sourdough", to=earlier) == [("Trip", 1)]
    assert found(api, q=f"sourdough before:{earlier}") == [("Trip", 1)]
    assert found(api, q=f"sourdough after:{earlier} before:{earlier}") == [("Trip", 1)]
    assert found(api, q=f"sourdough after:{today.isoformat()}", to=earlier) == []


def test_it_filters_by_folder_with_its_subfolders_by_id_and_by_name(api, owner, outsider, chats):
    recipes = folder(owner, "Recipes")
    breads = folder(owner, "Breads", parent=recipes)
    file_in(chats["bread"], breads)
    travel = folder(outsider, "Travel")  # another user's folder, by name or id, means nothing
    file_in(chats["theirs"], travel)
    assert sorted(found(api, q="sourdough", folder=str(recipes.pk))) == [("Bread", 1), ("Bread", 2)]
    assert len(found(api, q="sourdough folder:recipes")) == 2
    assert len(found(api, q="sourdough folder:BREADS")) == 2
    assert found(api, q="sourdough folder:Travel") == []
    assert found(api, q="sourdough", folder=str(travel.pk)) == []
    hits = api.get(URL, {"q": "sourdough", "folder": str(breads.pk)}).json()["results"]
    assert {h["session"]["folder"] for h in hits} == {str(breads.pk)}


def test_several_tags_require_all_of_them(api, owner, outsider, chats):
    tag(owner, chats["bread"], "baking", "Favourite")
    tag(owner, chats["trip"], "baking")
    tag(outsider, chats["theirs"], "secret")
    assert len(found(api, q="sourdough", tag="baking")) == 3
    assert found(api, q="sourdough tag:baking tag:favourite", role="user") == [("Bread", 1)]
    assert len(found(api, q="sourdough tag:favourite", tag=["baking"])) == 2
    assert found(api, q="sourdough tag:secret") == []
    [hit] = api.get(URL, {"q": "lisbon tag:baking"}).json()["results"]
    assert hit["session"]["tags"] == ["baking"]


def test_views_and_the_trash_only_under_view_trash(api, owner, chats):
    session_update(user=owner, session_id=chats["trip"].pk, pinned=True)
    session_update(user=owner, session_id=chats["bread"].pk, archived=True)
    assert found(api, q="sourdough") == [("Trip", 1)]
    assert found(api, q="sourdough", view="pinned") == [("Trip", 1)]
    assert len(found(api, q="sourdough", view="archived")) == 2
    session_trash(user=owner, session_id=chats["trip"].pk)
    assert found(api, q="sourdough") == []
    assert found(api, q="sourdough", view="pinned") == []
    assert found(api, q="sourdough", view="trash") == [("Trip", 1)]


def test_quoted_phrases_and_unknown_keys_are_words(api, owner, chats):
    assert found(api, q='"in the fridge"') == [("Bread", 2)]
    assert found(api, q='"fridge overnight"') == []
    other = session_create(user=owner, title="Notes")
    say(owner, other, "the colour:blue setting")
    assert found(api, q="colour:blue") == [("Notes", 1)]
    assert found(api, q="the a of") == []  # stop words alone match nothing, as on PostgreSQL


def test_it_pages_best_first_with_a_cursor(api, owner):
    chat = session_create(user=owner, title="Many")
    for n in range(7):
        say(owner, chat, "kettle " * (n + 1) + f"number {n}")
    seen, params = [], {"q": "kettle", "limit": 3}
    response = api.get(URL, params).json()
    pages = 1
    seen += response["results"]
    while response["next"]:
        response = api.get(response["next"]).json()
        seen += response["results"]
        pages += 1
    assert pages == 3
    assert sorted(h["seq"] for h in seen) == list(range(1, 8))
    ranks = [h["rank"] for h in seen]
    assert ranks == sorted(ranks, reverse=True)
    assert seen[0]["seq"] == 7  # the most mentions rank first


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "tag:baking"}, "q"),
        ({"q": "bread after:2025-13-01"}, "q"),
        ({"q": "bread", "from": "yesterday"}, "from"),
        ({"q": "bread", "view": "everything"}, "view"),
        ({"q": "bread", "branch": "some"}, "branch"),
        ({"q": "bread", "role": "robot"}, "role"),
        ({"q": "bread role:robot"}, "role"),
        ({"q": "bread", "folder": "not-a-uuid"}, "folder"),
        ({"q": "bread", "cursor": "garbage"}, "cursor"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_input_is_a_400_with_a_message(api, owner, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_a_search_too_slow_to_rank_answers_the_newest_matches_as_partial(api, owner, chats, monkeypatch):
    real_run = messages._run

    def slow_ranking(search, *, ranked, **kwargs):
        if ranked:
            raise messages.StatementTimedOut
        return real_run(search, ranked=ranked, **kwargs)

    monkeypatch.setattr(messages, "_run", slow_ranking)
    body = api.get(URL, {"q": "sourdough", "limit": 2}).json()
    assert body["partial"] is True
    assert "newest" in body["message"]
    assert body["next"] is None
    assert [(h["session"]["title"], h["seq"]) for h in body["results"]] == [("Trip", 1), ("Bread", 2)]


def test_a_search_with_no_time_left_says_to_refine(api, owner, chats, monkeypatch):
    def too_slow(search, **kwargs):
        raise messages.StatementTimedOut

    monkeypatch.setattr(messages, "_run", too_slow)
    body = api.get(URL, {"q": "sourdough"}).json()
    assert (body["partial"], body["results"]) == (True, [])
    assert "narrow" in body["message"]


def test_it_makes_a_fixed_number_of_queries(api, owner, chats, django_assert_num_queries):
    # the token; the search's transaction (a savepoint in a test), its timeout, the statement, its end;
    # the sessions of the page
    with django_assert_num_queries(6):
        api.get(URL, {"q": "sourdough"})
    for n in range(10):
        say(owner, session_create(user=owner, title=f"more{n}"), "sourdough again")
    tag(owner, chats["bread"], "baking")
    with django_assert_num_queries(7):  # and the user's tags
        assert len(api.get(URL, {"q": "sourdough tag:baking"}).json()["results"]) == 2


@pytest.mark.parametrize("params", [{"q": "lisbon", "to": "9999-12-31"}, {"q": "lisbon before:9999-12-31"}])
def test_the_calendars_last_day_as_the_end_is_no_error_and_bounds_nothing(api, chats, params):
    assert found(api, **params) == [("Trip", 1)]

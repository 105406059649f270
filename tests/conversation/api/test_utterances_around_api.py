"""GET /api/sessions/{id}/utterances/?around=: a page of history around a seq, on its branch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.branches.edits import utterance_edit
from conversation.sessions.create import session_create
from tests.helpers import say


def url(session) -> str:
    return f"/api/sessions/{session.pk}/utterances/"


@pytest.fixture
def plain(owner):
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(1, 101)])
    return session


@pytest.fixture
def branched(owner):
    """m1..m20 (seqs 1-20) on branch 0, then m5 edited: the active branch is 1-4, "e5" (21), e6..e10 (22-26).
    Seqs 5 to 20 lie on the inactive branch only."""
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(1, 21)])
    utterance_edit(user=owner, session_id=session.pk, seq=5, text="e5")
    say(owner, session, *[f"e{n}" for n in range(6, 11)])
    return session


def seqs(body) -> list[int]:
    return [u["seq"] for u in body["results"]]


def test_a_middle_seq_is_in_the_middle_of_its_page(api, plain):
    body = api.get(url(plain), {"around": 50, "limit": 10}).json()
    assert seqs(body) == list(range(46, 56))
    assert (body["around"], body["leaf"]) == (50, None)
    older = api.get(body["previous"]).json()
    newer = api.get(body["next"]).json()
    assert seqs(older) == list(range(36, 46))
    assert seqs(newer) == list(range(56, 66))


def test_the_first_seq_has_nothing_before_it(api, plain):
    body = api.get(url(plain), {"around": 1, "limit": 10}).json()
    assert seqs(body) == list(range(1, 7))
    assert body["previous"] is None
    assert body["next"] is not None


def test_the_last_seq_has_nothing_after_it(api, plain):
    body = api.get(url(plain), {"around": 100, "limit": 10}).json()
    assert seqs(body) == list(range(96, 101))
    assert body["next"] is None
    assert body["previous"] is not None


def test_a_seq_on_the_active_branch_shows_the_active_branch(api, branched):
    body = api.get(url(branched), {"around": 21, "limit": 6}).json()
    assert seqs(body) == [3, 4, 21, 22, 23, 24]
    assert body["leaf"] is None


def test_another_branchs_seq_shows_its_branch_and_paging_follows_it(api, branched):
    body = api.get(url(branched), {"around": 12, "limit": 6}).json()
    assert seqs(body) == [10, 11, 12, 13, 14, 15]
    assert (body["around"], body["leaf"]) == (12, 20)
    assert "leaf=20" in body["next"]
    assert "leaf=20" in body["previous"]
    assert seqs(api.get(body["next"]).json()) == [16, 17, 18, 19, 20]
    walked = api.get(url(branched), {"before": 4, "limit": 6, "leaf": 20}).json()
    assert seqs(walked) == [1, 2, 3]
    assert api.get(f"/api/sessions/{branched.pk}/").json()["head_seq"] == 26  # nothing switched


def test_the_fork_point_shows_the_active_branch(api, branched):
    body = api.get(url(branched), {"around": 4, "limit": 4}).json()
    assert seqs(body) == [3, 4, 21, 22]
    assert body["leaf"] is None


def test_another_users_session_is_404(outsider_api, plain):
    assert outsider_api.get(url(plain), {"around": 50}).status_code == 404


@pytest.mark.parametrize("around", ["x", "1.5", "-1", "101", "0"])
def test_a_bad_or_unknown_seq_is_400(api, plain, around):
    response = api.get(url(plain), {"around": around})
    assert response.status_code == 400
    assert "around" in response.json()["detail"] or "around" in str(response.json())


@pytest.mark.parametrize(
    "extra", [{"before": 5}, {"after": 5}, {"leaf": 5}, {"branches": "all"}, {"include_interim": "true"}]
)
def test_around_goes_alone(api, plain, extra):
    assert api.get(url(plain), {"around": 50, **extra}).status_code == 400


def test_an_unknown_leaf_is_400(api, branched):
    assert api.get(url(branched), {"before": 10, "leaf": 999}).status_code == 400


def queries_for(api, path: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, params).status_code == 200
    return len(captured.captured_queries)


def test_around_costs_a_fixed_few_queries_more_than_the_newest_page(api, plain, branched):
    newest = queries_for(api, url(plain), {})
    assert queries_for(api, url(plain), {"around": 50}) == newest + 1  # the newer half
    assert queries_for(api, url(plain), {"around": 2}) == newest + 1
    newest_branched = queries_for(api, url(branched), {})
    assert queries_for(api, url(branched), {"around": 21}) == newest_branched + 2  # + the seq's branch
    assert queries_for(api, url(branched), {"around": 12}) == newest_branched + 4  # + its newest leaf (2)

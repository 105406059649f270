from conversation import selectors, services
from tests.helpers import say


def test_it_lists_newest_activity_first(owner):
    first = services.session_create(user=owner, title="first")
    services.session_create(user=owner, title="second")
    say(owner, first, "bump")
    assert [s["title"] for s in selectors.session_list_for_user(user=owner)] == ["first", "second"]


def test_it_hides_other_users_sessions(owner, outsider):
    services.session_create(user=owner, title="mine")
    services.session_create(user=outsider, title="theirs")
    assert [s["title"] for s in selectors.session_list_for_user(user=owner)] == ["mine"]


def test_it_filters_by_persona(owner):
    services.session_create(user=owner, title="plain")
    services.session_create(user=owner, title="story", persona="creative-writer")
    assert [s["title"] for s in selectors.session_list_for_user(user=owner, persona="creative-writer")] == ["story"]


def test_it_breaks_ties_by_id_for_a_total_order(owner):
    sessions = [services.session_create(user=owner) for _ in range(3)]
    same_time = sessions[0].last_activity_at
    for s in sessions:
        type(s).objects.filter(pk=s.pk).update(last_activity_at=same_time)
    listed = [s["id"] for s in selectors.session_list_for_user(user=owner)]
    assert listed == sorted((s.pk for s in sessions), reverse=True)


def test_it_makes_one_query_whatever_the_number_of_sessions(owner, django_assert_num_queries):
    for n in range(30):
        services.session_create(user=owner, title=f"s{n}", persona="technical-support" if n % 2 else None)
    with django_assert_num_queries(1):
        rows = [(s["title"], s["persona_name"]) for s in selectors.session_list_for_user(user=owner)[:50]]
    assert len(rows) == 30
    assert ("s1", "Technical Support") in rows

"""Session previews through HTTP: the API's list and the sidebar carry each chat's first message, read
with the rows (no query per row)."""

import re

from conversation.branches.edits import utterance_edit
from conversation.sessions.create import session_create
from tests.helpers import say

URL = "/api/sessions/"


def test_the_list_carries_each_sessions_first_message_on_one_line(api, owner):
    trip = session_create(user=owner, title="Trip")
    say(owner, trip, "Plan a trip\n to   Lisbon", "In May?")
    session_create(user=owner, title="Empty")
    rows = {row["title"]: row["preview"] for row in api.get(URL).json()["results"]}
    assert rows == {"Trip": "Plan a trip to Lisbon", "Empty": ""}


def test_the_list_and_the_detail_follow_an_edit_of_the_first_message(api, owner):
    chat = session_create(user=owner)
    first = say(owner, chat, "Draft question").utterances[0].seq
    response = api.post(f"{URL}{chat.pk}/utterances/{first}/edit/", {"text": "Better question"}, format="json")
    assert response.status_code < 300
    if response.streaming:
        b"".join(response)
    assert [row["preview"] for row in api.get(URL).json()["results"]] == ["Better question"]
    assert api.get(f"{URL}{chat.pk}/").json()["preview"] == "Better question"


def test_the_list_reads_previews_with_its_page(api, owner, django_assert_num_queries):
    for n in range(40):
        say(owner, session_create(user=owner), f"question {n}")
    with django_assert_num_queries(2):  # the token, the page
        rows = api.get(URL).json()["results"]
    assert {row["preview"] for row in rows} == {f"question {n}" for n in range(40)}


def test_the_sidebar_shows_the_preview_under_the_title_describing_the_link(owner, owner_client):
    chat = session_create(user=owner, title="Lisbon")
    utterance_edit(user=owner, session_id=chat.pk, seq=say(owner, chat, "old").utterances[0].seq, text="Trip in May")
    html = owner_client.get("/sidebar/").content.decode()
    row = re.search(rf'<li class="session-item[^"]*" data-id="{chat.pk}".*?</li>', html, re.DOTALL)[0]
    assert f'aria-describedby="preview-{chat.pk}"' in row
    assert f'<span class="session-preview" id="preview-{chat.pk}" aria-hidden="true">Trip in May</span>' in row
    assert '<span class="session-title">Lisbon</span>' in row


def test_the_schema_documents_the_preview_of_every_session_shape(db):
    from tests.conversation.api.test_schema import generated_schema

    schemas = generated_schema()["components"]["schemas"]
    sessions = [name for name, body in schemas.items() if "head_seq" in body.get("properties", {})]
    assert sessions
    for name in sessions:
        assert schemas[name]["properties"]["preview"]["type"] == "string", name
        assert "preview" in schemas[name]["required"], name


def test_the_sidebar_leaves_out_a_preview_that_only_repeats_the_title(owner, owner_client):
    chat = session_create(user=owner)
    say(owner, chat, "Where should we go in May, and for how long? " * 3)  # titled from it
    html = owner_client.get("/sidebar/").content.decode()
    assert f'<span class="session-preview" id="preview-{chat.pk}" aria-hidden="true"></span>' in html

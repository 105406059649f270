"""Who named a chat, through HTTP: the list and the detail answer title_source as it changes, so a
program can tell a person's title (to leave alone) from an automatic one."""

from conversation.sessions.create import session_create
from conversation.titles.services import session_title_set_by_model
from tests.helpers import say

URL = "/api/sessions/"


def sources(api) -> dict[str, str]:
    return {row["id"]: row["title_source"] for row in api.get(URL).json()["results"]}


def test_the_list_and_the_detail_say_who_named_each_chat(api, owner):
    automatic, by_model, renamed = (session_create(user=owner) for _ in range(3))
    for chat in (automatic, by_model, renamed):
        say(owner, chat, "What is a monad?")
    assert session_title_set_by_model(session_id=by_model.pk, title="Monads explained")
    assert api.patch(f"{URL}{renamed.pk}/", {"title": "Mine"}, format="json").json()["title_source"] == "user"
    expected = {str(automatic.pk): "auto", str(by_model.pk): "model", str(renamed.pk): "user"}
    assert sources(api) == expected
    assert {key: api.get(f"{URL}{key}/").json()["title_source"] for key in expected} == expected


def test_a_title_given_at_creation_is_answered_as_the_users(api):
    created = api.post(URL, {"title": "Plans"}, format="json").json()
    untitled = api.post(URL, {}, format="json").json()
    assert (created["title_source"], untitled["title_source"]) == ("user", "auto")


def test_a_rename_to_nothing_gives_the_automatic_title_back(api, owner):
    chat = session_create(user=owner, title="Mine")
    say(owner, chat, "What is a monad?")
    answered = api.patch(f"{URL}{chat.pk}/", {"title": ""}, format="json").json()
    assert (answered["title"], answered["title_source"]) == ("What is a monad?", "auto")


def test_the_schema_documents_who_named_every_session_shape(db):
    from tests.conversation.api.test_schema import generated_schema

    schemas = generated_schema()["components"]["schemas"]
    sessions = [name for name, body in schemas.items() if "head_seq" in body.get("properties", {})]
    assert sessions
    for name in sessions:
        [reference] = schemas[name]["properties"]["title_source"]["allOf"]
        assert schemas[reference["$ref"].rsplit("/", 1)[-1]]["enum"] == ["auto", "model", "user"], name
        assert "title_source" in schemas[name]["required"], name

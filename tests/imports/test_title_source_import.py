"""Who named a chat comes back with our own export: an import of it keeps title_source; a title from
any other source, or a file that does not say, is its owner's."""

import json

from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.titles.services import session_title_set_by_model
from tests.helpers import say
from tests.imports import samples
from tests.imports.exports import account_export


def named(user, source_id: str) -> tuple[str, str]:
    session = Session.objects.get(user=user, origin__source_id=source_id)
    return session.title, session.title_source


def test_our_account_export_brought_into_another_account_keeps_who_named_each_chat(owner, outsider, import_file):
    automatic, by_model = session_create(user=owner), session_create(user=owner)
    for chat in (automatic, by_model):
        say(owner, chat, "What is a monad?")
    session_title_set_by_model(session_id=by_model.pk, title="Monads explained")
    given = session_create(user=owner, title="Mine")
    say(owner, given, "hello")
    job = import_file(outsider, account_export(owner), name="chat-export.zip")

    assert (job.imported, job.failed) == (3, 0)
    assert named(outsider, str(automatic.pk)) == ("What is a monad?", "auto")
    assert named(outsider, str(by_model.pk)) == ("Monads explained", "model")
    assert named(outsider, str(given.pk)) == ("Mine", "user")


def test_a_file_that_says_nothing_or_nonsense_gives_the_title_to_its_owner(owner, import_file):
    exports = [
        {"session": {"id": key, "title": "Tea", **extra}, "messages": [{"role": "user", "text": "hi"}]}
        for key, extra in (("none", {}), ("bogus", {"title_source": "admin"}), ("list", {"title_source": ["user"]}))
    ]
    for export in exports:
        import_file(owner, json.dumps(export).encode())
    assert {named(owner, key) for key in ("none", "bogus", "list")} == {("Tea", "user")}


def test_a_file_naming_the_model_without_a_title_gets_the_automatic_one(owner, import_file):
    said = [{"role": "user", "text": "hi"}]
    export = {"session": {"id": "x", "title": "", "title_source": "model"}, "messages": said}
    import_file(owner, json.dumps(export).encode())
    assert named(owner, "x") == ("hi", "auto")


def test_a_title_from_another_product_is_its_owners(owner, import_file):
    import_file(owner, samples.as_json([samples.chatgpt_linear("trip", title="Trip")]))
    assert named(owner, "trip") == ("Trip", "user")

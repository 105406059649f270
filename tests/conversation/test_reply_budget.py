"""The prompt a model server receives is within the budget, counted by the server with the same
tokenizer: many long messages, one huge message, a persona of its own context."""

import pytest

from conversation import tokens
from conversation.models import Utterance
from conversation.prompt import CUT_MARKER
from conversation.sessions.create import session_create
from tests.factories import PersonaFactory
from tests.helpers import say, token_client

# The reply is stored through database threads: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def exact_model(openai_backend, settings):
    settings.ASSISTANT_MODEL = "gpt-4"  # cl100k: counted exactly, as the server below counts
    settings.CONTEXT_MAX_TOKENS = 1000
    settings.ASSISTANT_MAX_TOKENS = 200
    return openai_backend


def counted_by_the_server(request: dict) -> int:
    return (
        sum(tokens.message_tokens(tokens.text_tokens(m["content"])) for m in request["messages"])
        + tokens.PROMPT_OVERHEAD_TOKENS
    )


def reply(owner, session, text: str) -> dict:
    response = token_client(owner).post(
        f"/api/sessions/{session.pk}/reply/", {"text": text}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_many_long_messages_never_put_a_prompt_over_the_budget(owner, exact_model):
    session = session_create(user=owner)
    for n in range(12):
        reply(owner, session, f"question {n}: " + "tell me more about this " * 40)
        sent = exact_model.requests[-1]
        assert counted_by_the_server(sent) <= 800
        assert sent["messages"][-1]["content"].startswith(f"question {n}: ")
        assert sent["max_tokens"] == 200
    assert len(exact_model.requests[-1]["messages"]) < 24  # the oldest were left out


def test_one_huge_message_is_cut_in_the_prompt_and_stored_whole(owner, exact_model):
    session = session_create(user=owner)
    huge = "an enormous paste " * 1500
    stored = reply(owner, session, huge)
    sent = exact_model.requests[-1]
    assert counted_by_the_server(sent) <= 800
    assert sent["messages"][-1]["content"].endswith(CUT_MARKER)
    assert Utterance.objects.get(session=session, seq=1).text == huge
    assert stored["reply"]["metadata"]["context"]["cut"] is True


def test_a_persona_with_its_own_context_gets_a_larger_prompt(owner, exact_model):
    roomy = session_create(user=owner, persona=PersonaFactory(context_max_tokens=3000).slug)
    plain = session_create(user=owner)
    for session in (roomy, plain):
        say(owner, session, *["some earlier words of the chat " * 20 for _ in range(20)])
    reply(owner, plain, "and now?")
    plain_tokens = counted_by_the_server(exact_model.requests[-1])
    reply(owner, roomy, "and now?")
    roomy_tokens = counted_by_the_server(exact_model.requests[-1])
    assert plain_tokens <= 800 < roomy_tokens <= 2800


def test_the_reply_stores_what_its_prompt_held_and_the_servers_usage(owner, exact_model):
    session = session_create(user=owner)
    metadata = reply(owner, session, "hello there")["reply"]["metadata"]
    assert metadata["usage"] == "reported"
    assert (metadata["prompt_tokens"], metadata["completion_tokens"]) == (11, 3)  # as the server reported
    context = metadata["context"]
    assert context["tokens"] == counted_by_the_server(exact_model.requests[-1])
    assert (context["budget"], context["max"], context["exact"], context["first_seq"]) == (800, 1000, True, 1)

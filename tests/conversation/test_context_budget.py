"""The cached context window by tokens: the fewest newest messages that reach the persona's budget,
the same whether extended in the cache (Redis' script, or Python on other caches) or rebuilt."""

import json
import random

import pytest
from django.core.cache import cache

from conversation import context
from conversation.context import context_key, context_window_get
from conversation.models import Session, Utterance
from conversation.tokens import message_tokens, text_tokens
from tests.helpers import say


def fresh(session) -> Session:
    return Session.objects.select_related("persona").get(pk=session.pk)


def rebuilt(session, budget: int) -> list[dict]:
    return context.context_window_rebuild(session_id=session.pk, budget=budget)[2]


def cost(window: list[dict]) -> int:
    return sum(message_tokens(m["tokens"]) for m in window)


@pytest.mark.parametrize("cache_config", ["redis", "local memory"])
def test_an_extended_window_always_equals_the_rebuilt_one(
    owner, session, settings, django_capture_on_commit_callbacks, cache_config
):
    if cache_config == "local memory":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    budget, texts = 120, random.Random(7)
    for n in range(40):
        context_window_get(session=fresh(session), budget=budget)
        words = texts.choice([1, 3, 10, 40, 90, 200])
        with django_capture_on_commit_callbacks(execute=True):
            say(owner, session, f"m{n} " + "word " * words, role=texts.choice(["user", "assistant"]))
        window = context_window_get(session=fresh(session), budget=budget)
        assert window.cached
        assert window.messages == rebuilt(session, budget)
        assert window.messages[-1]["text"].startswith(f"m{n} ")
        # The fewest newest messages that reach the budget: without its oldest, it would not.
        assert cost(window.messages[1:]) < budget


def test_a_window_holds_at_most_context_window_size_messages_however_short(owner, session, settings):
    settings.CONTEXT_WINDOW_SIZE = 5
    say(owner, session, *[f"m{n}" for n in range(30)])
    window = context_window_get(session=fresh(session), budget=10_000)
    assert [m["text"] for m in window.messages] == ["m25", "m26", "m27", "m28", "m29"]


def test_a_window_of_another_budget_is_a_miss_rebuilt_once(owner, session, django_assert_num_queries):
    say(owner, session, *["word " * 20 for _ in range(20)])
    small = context_window_get(session=fresh(session), budget=50)
    current = fresh(session)
    with django_assert_num_queries(1):
        large = context_window_get(session=current, budget=400)
    assert not large.cached
    assert len(large.messages) > len(small.messages)
    with django_assert_num_queries(0):
        assert context_window_get(session=current, budget=400).cached


def test_a_window_cached_before_token_budgets_is_read_as_a_miss(owner, session):
    say(owner, session, "one", "two")
    current = fresh(session)
    key = context_key(user_id=owner.pk, session_id=session.pk, epoch=current.context_epoch, last_seq=current.last_seq)
    cache.set(key, json.dumps([{"role": "user", "text": "stale", "seq": 1}]))
    window = context_window_get(session=current)
    assert not window.cached
    assert [m["text"] for m in window.messages] == ["one", "two"]


def test_messages_stored_before_tokens_were_counted_are_counted_on_rebuild(owner, session):
    say(owner, session, "an older message of several words", "a newer one")
    Utterance.objects.filter(session=session).update(tokens=None)
    window = rebuilt(session, 1000)
    assert [m["tokens"] for m in window] == [6, 3]


def test_every_append_counts_its_texts_tokens(owner, session):
    say(owner, session, "hello world", "Grüße 😀 " * 100)
    assert list(Utterance.objects.filter(session=session).order_by("seq").values_list("tokens", flat=True)) == [
        2,
        text_tokens("Grüße 😀 " * 100),
    ]

"""A reply's prompt fitted to the persona's token budget: never over it, the newest messages first,
a message too long cut with a marker in the prompt only."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conversation import prompt as prompt_module
from conversation import tokens
from conversation.models import ContextSummary, Persona
from conversation.prompt import CUT_MARKER, SUMMARY_HEADING, prompt_budget, prompt_build

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "tokens",
    "are",
    "counted",
    "exactly",
]


def message(seq: int, text: str, role: str = "user") -> dict:
    return {"role": role, "text": text, "seq": seq, "tokens": tokens.text_tokens(text)}


def counted_by_the_model(prompt) -> int:
    """What a server counting with the same tokenizer counts: each message, plus the priming."""
    return (
        sum(tokens.message_tokens(tokens.text_tokens(m["content"])) for m in prompt.messages)
        + tokens.PROMPT_OVERHEAD_TOKENS
    )


def build(window, *, persona=None, system_prompt="Be brief.", summary=None, model="gpt-4"):
    return prompt_build(
        persona=persona or Persona(name="p", slug="p"),
        system_prompt=system_prompt,
        summary=summary,
        window=window,
        model=model,
        user_id=1,
    )


@pytest.fixture(autouse=True)
def small_budget(settings):
    settings.CONTEXT_MAX_TOKENS = 600
    settings.ASSISTANT_MAX_TOKENS = 100


def test_a_short_chat_goes_in_whole_after_the_system_prompt():
    prompt = build([message(1, "hello"), message(2, "hi there", "assistant"), message(3, "how are you?")])
    assert prompt.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi there"},
        {"role": "user", "content": "how are you?"},
    ]
    assert (prompt.first_seq, prompt.budget, prompt.cut, prompt.exact) == (1, 500, False, True)
    assert prompt.tokens == counted_by_the_model(prompt)


def test_many_long_messages_leave_the_oldest_out_and_keep_the_newest_whole():
    window = [message(n, f"message {n} " + "word " * 60) for n in range(1, 21)]
    prompt = build(window)
    assert counted_by_the_model(prompt) <= 500
    kept = [m["seq"] for m in prompt.included]
    assert kept == list(range(kept[0], 21))
    assert kept[0] > 1
    assert prompt.messages[-1]["content"] == window[-1]["text"]
    # One more message would not have fit.
    older = window[kept[0] - 2]
    assert counted_by_the_model(prompt) + tokens.message_tokens(older["tokens"]) > 500


def test_one_message_larger_than_the_budget_is_cut_with_a_marker_in_the_prompt_only():
    huge = "lorem ipsum dolor " * 2000
    window = [message(1, "earlier"), message(2, huge)]
    prompt = build(window)
    sent = prompt.messages[-1]["content"]
    assert sent.endswith(CUT_MARKER)
    assert huge.startswith(sent[: -len(CUT_MARKER)])
    assert prompt.cut
    assert [m["seq"] for m in prompt.included] == [2]
    assert counted_by_the_model(prompt) <= 500
    assert window[1]["text"] == huge  # the window (and the stored message) stay whole


def test_a_persona_with_its_own_context_gets_its_own_budget():
    window = [message(n, "word " * 50) for n in range(1, 41)]
    small, large = Persona(name="s", slug="s"), Persona(name="l", slug="l", context_max_tokens=2100)
    assert (prompt_budget(small), prompt_budget(large)) == (500, 2000)
    small_prompt, large_prompt = build(window, persona=small), build(window, persona=large)
    assert counted_by_the_model(small_prompt) <= 500 < counted_by_the_model(large_prompt) <= 2000
    assert len(large_prompt.included) > len(small_prompt.included)
    assert large_prompt.context_max_tokens == 2100


def test_the_summary_comes_after_the_system_prompt_and_the_messages_it_covers_stay_in_while_they_fit():
    summary = ContextSummary(seq=2, text="They greeted each other.", tokens=6, messages=2, made_by="offline")
    prompt = build([message(1, "hi"), message(2, "hello", "assistant"), message(3, "what now?")], summary=summary)
    assert prompt.messages[0] == {
        "role": "system",
        "content": f"Be brief.\n\n{SUMMARY_HEADING}\nThey greeted each other.",
    }
    # Made ahead, the summary repeats messages the prompt can still hold whole: they stay.
    assert [m["seq"] for m in prompt.included] == [1, 2, 3]
    assert prompt.covered == 2
    assert prompt.summary is summary
    assert prompt.summary_tokens > 0


def test_the_summarys_tokens_come_out_of_the_oldest_messages_room():
    window = [message(n, "word " * 30) for n in range(1, 41)]
    without = build(window)
    summary = ContextSummary(seq=30, text="earlier " * 60, tokens=60, messages=30, made_by="offline")
    with_summary = build(window, summary=summary)
    assert with_summary.included == window[-len(with_summary.included) :]  # the newest, in order
    assert len(with_summary.included) < len(without.included)
    assert with_summary.covered == sum(1 for m in with_summary.included if m["seq"] <= 30) > 0
    assert counted_by_the_model(with_summary) <= 500


def test_a_summary_too_long_for_the_room_is_cut_before_the_message_answered():
    summary = ContextSummary(seq=1, text="remembered " * 800, tokens=800, messages=1, made_by="offline")
    prompt = build([message(1, "x"), message(2, "the question " * 30)], summary=summary)
    assert prompt.messages[-1]["content"] == "the question " * 30
    assert prompt.messages[0]["content"].endswith(CUT_MARKER)
    assert counted_by_the_model(prompt) <= 500


def test_an_estimate_is_corrected_by_what_the_server_reported():
    window = [message(n, "word " * 30) for n in range(1, 41)]
    plain = build(window, model="llama3.2")
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=150)
    corrected = build(window, model="llama3.2")
    assert not corrected.exact
    assert len(corrected.included) < len(plain.included)
    assert corrected.tokens <= 500
    assert round(corrected.counted * 1.5) == corrected.tokens


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=30),
    system_words=st.integers(min_value=0, max_value=700),
    summary_words=st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    context=st.integers(min_value=400, max_value=3000),
)
def test_a_prompt_is_never_over_the_budget(settings, lengths, system_words, summary_words, context):
    settings.CONTEXT_MAX_TOKENS = context
    window = [message(n + 1, " ".join(WORDS[(n + i) % len(WORDS)] for i in range(k))) for n, k in enumerate(lengths)]
    summary = None
    if summary_words is not None:
        text = "fact " * summary_words
        summary = ContextSummary(seq=0, text=text, tokens=tokens.text_tokens(text), messages=1, made_by="offline")
    prompt = build(window, system_prompt="rule " * system_words, summary=summary)
    assert counted_by_the_model(prompt) <= context - 100
    assert prompt.tokens == counted_by_the_model(prompt)
    assert prompt.included
    assert prompt.included[-1]["seq"] == len(lengths)


def test_the_markers_tokens_are_what_the_fit_sets_aside():
    assert tokens.text_tokens(CUT_MARKER) == prompt_module._MARKER_TOKENS


def test_the_message_answered_keeps_some_words_however_small_the_room(settings):
    settings.CONTEXT_MAX_TOKENS, settings.ASSISTANT_MAX_TOKENS = 2304, 2048
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=300)  # room / 3
    summary = ContextSummary(seq=1, text="remembered " * 200, tokens=200, messages=1, made_by="offline")
    prompt = build([message(1, "x"), message(2, "the question " * 300)], summary=summary, model="llama3.2")
    assert prompt.messages[-1]["content"].startswith("the question the question")
    assert prompt.tokens <= 256


def test_a_huge_message_is_cut_once_however_often_its_prompt_is_read(monkeypatch):
    huge = message(2, "an enormous paste " * 2000)
    build([message(1, "x"), huge])
    calls = []
    original = tokens.text_cut_to_tokens
    monkeypatch.setattr(tokens, "text_cut_to_tokens", lambda *args: calls.append(args) or original(*args))
    for _ in range(5):
        assert build([message(1, "x"), dict(huge)]).messages[-1]["content"].endswith(CUT_MARKER)
    assert calls == []

"""The title made of a model's answer, and what the model is shown."""

import pytest

from conversation import tokens
from conversation.titles.maker import TITLE_TEXT_TOKENS, title_from_answer, title_prompt


@pytest.mark.parametrize(
    ("answer", "title"),
    [
        ('"Lisbon trip plans."', "Lisbon trip plans"),
        ("Title: **Monads explained**", "Monads explained"),
        ("\u201cWeekend plans\u201d.\nI chose this because", "Weekend plans"),
        ("<think>The user asks about Rust.</think>\n\nRust or Go", "Rust or Go"),
        ("  Why is the sky blue?  ", "Why is the sky blue?"),
        ("Sch\u00f6ne   Gr\u00fc\u00dfe aus Wien", "Sch\u00f6ne Gr\u00fc\u00dfe aus Wien"),
    ],
)
def test_it_keeps_the_title_alone(answer, title):
    assert title_from_answer(answer) == title


@pytest.mark.parametrize("answer", ["", "   \n  ", '"..."', "- ...", "<think>Let me think about", "Nul\x00here"])
def test_an_answer_with_no_usable_title_gives_none(answer):
    assert title_from_answer(answer) == ""


def test_a_long_answer_is_cut_at_a_word(settings):
    title = title_from_answer("A very long title " * 10)
    assert len(title) <= settings.AUTO_TITLE_CHARS
    assert title == "A very long title A very long title A very long title A\u2026"


def test_the_model_is_shown_the_start_of_the_first_message_and_of_the_reply():
    messages = title_prompt(first="word " * 2000, reply="answer " * 2000)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert tokens.text_tokens(messages[1]["content"]) <= 2 * TITLE_TEXT_TOKENS + 20
    assert "The person wrote:\nword word" in messages[1]["content"]
    assert "The assistant answered:\nanswer answer" in messages[1]["content"]

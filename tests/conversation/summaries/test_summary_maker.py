"""The offline summary (summaries/maker.summary_extract): deterministic, extractive, within
SUMMARY_MAX_TOKENS; over it, the top stays (the chat's opening line, an owner's edit), a gap line
stands for what went, and the newest lines follow."""

import pytest

from conversation import tokens
from conversation.summaries.maker import GAP, LEAD_TOKENS, summary_extract


@pytest.fixture(autouse=True)
def small_summaries(settings):
    settings.SUMMARY_MAX_TOKENS = 60


def said(*texts: str) -> list[dict]:
    return [{"role": ("user", "assistant")[n % 2], "text": text} for n, text in enumerate(texts)]


def within_the_limit(text: str, settings) -> bool:
    return tokens.text_tokens(text) <= settings.SUMMARY_MAX_TOKENS


def test_a_summary_that_fits_holds_a_line_per_message_in_order():
    text = summary_extract(previous="", messages=said("Plan a trip to Lisbon in May. Two people.", "Sure."))
    assert text == "User: Plan a trip to Lisbon in May.\nAssistant: Sure."


def test_over_the_limit_the_opening_stays_and_the_oldest_after_it_go(settings):
    texts = ["Plan a trip to Lisbon in May.", *(f"Detail number {n}." for n in range(1, 30))]
    lines = summary_extract(previous="", messages=said(*texts)).splitlines()
    assert lines[:2] == ["User: Plan a trip to Lisbon in May.", GAP]
    assert lines[-1] == "Assistant: Detail number 29."
    numbers = [int(line.rsplit(" ", 1)[1].rstrip(".")) for line in lines[2:]]
    assert numbers == list(range(numbers[0], 30))  # the newest, in order
    assert numbers[0] > 1
    assert within_the_limit("\n".join(lines), settings)


def test_a_summary_made_from_the_last_keeps_its_opening_and_one_gap(settings):
    first = summary_extract(previous="", messages=said("Plan a trip to Lisbon.", *(f"Step {n}." for n in range(20))))
    second = summary_extract(previous=first, messages=said(*(f"Later {n}." for n in range(20))))
    lines = second.splitlines()
    assert lines[:2] == ["User: Plan a trip to Lisbon.", GAP]
    assert lines.count(GAP) == 1
    assert lines[-1] == "Assistant: Later 19."
    assert within_the_limit(second, settings)


def test_the_owners_edit_stays_whole_at_the_top_of_the_next_summaries(settings):
    edited = "Two weeks in Portugal, 3000 euros.\nHotel: Alfama.\nDay 4: Sintra."
    first = summary_extract(
        previous=edited, messages=said(*(f"Hotel option {n}." for n in range(30))), previous_edited=True
    )
    assert first.splitlines()[:4] == [*edited.splitlines(), GAP]
    second = summary_extract(previous=first, messages=said(*(f"Train {n}." for n in range(30))))
    assert second.splitlines()[:4] == [*edited.splitlines(), GAP]  # the top the last one kept
    assert second.splitlines()[-1] == "Assistant: Train 29."
    assert within_the_limit(second, settings)


def test_an_edit_longer_than_half_the_limit_keeps_its_first_lines(settings):
    edited = "\n".join(f"Fact number {n} of the plan." for n in range(20))
    lines = summary_extract(previous=edited, messages=said("New point.", "Reply."), previous_edited=True).splitlines()
    gap = lines.index(GAP)
    assert lines[:gap] == edited.splitlines()[:gap]
    assert tokens.text_tokens("\n".join(lines[:gap])) <= settings.SUMMARY_MAX_TOKENS // 2
    assert lines[-2:] == ["User: New point.", "Assistant: Reply."]


def test_without_an_edit_only_the_opening_line_is_kept_on_top():
    previous = "User: Plan a trip to Lisbon.\nAssistant: Sure."
    lines = summary_extract(previous=previous, messages=said(*(f"Step {n}." for n in range(30)))).splitlines()
    assert lines[:2] == ["User: Plan a trip to Lisbon.", GAP]


def test_an_edit_that_fits_whole_with_the_new_lines_is_not_cut(settings):
    settings.SUMMARY_MAX_TOKENS = 400
    edited = "\n".join(f"{n}." for n in range(150))  # a line break after a full stop: one token with it
    text = summary_extract(previous=edited, messages=said("Go."), previous_edited=True)
    assert tokens.text_tokens(f"{edited}\nUser: Go.") <= 400
    assert text == f"{edited}\nUser: Go."


def test_a_gap_at_the_start_of_an_edit_is_not_taken_for_the_opening():
    edited = f"{GAP}\nWe chose the blue plan."
    lines = summary_extract(
        previous=edited, messages=said(*(f"Step {n}." for n in range(30))), previous_edited=True
    ).splitlines()
    assert lines[:2] == ["We chose the blue plan.", GAP]
    assert lines.count(GAP) == 1


def test_a_long_message_in_a_language_without_spaces_leaves_the_opening_in_place(settings):
    settings.SUMMARY_MAX_TOKENS = 200
    paragraph = "我们五月去里斯本\uff0c预算两千欧元\uff0c想住在阿尔法玛区" * 40  # one sentence, no spaces
    text = summary_extract(
        previous="", messages=said("Plan a trip to Lisbon in May.", *(f"msg {n}." for n in range(60)), paragraph)
    )
    lines = text.splitlines()
    assert lines[:2] == ["User: Plan a trip to Lisbon in May.", GAP]
    assert lines[-1].startswith("Assistant: 我们五月去里斯本")
    assert lines[-1].endswith(" …")
    assert tokens.text_tokens(lines[-1]) <= LEAD_TOKENS + 5
    assert within_the_limit(text, settings)


def test_a_sentence_ends_at_an_ideographic_full_stop():
    text = summary_extract(previous="", messages=said("我们五月去里斯本。预算两千欧元。"))
    assert text == "User: 我们五月去里斯本。"


def test_an_opening_longer_than_half_the_limit_is_cut_to_its_start(settings):
    opening = " ".join(f"word{n}" for n in range(80))  # over the limit by itself
    lines = summary_extract(previous=opening, messages=said(*(f"Point {n}." for n in range(10)))).splitlines()
    assert opening.startswith(lines[0])
    assert tokens.text_tokens(lines[0]) < settings.SUMMARY_MAX_TOKENS // 2
    assert lines[1] == GAP
    assert lines[-1] == "Assistant: Point 9."
    assert within_the_limit("\n".join(lines), settings)


def test_the_same_messages_give_the_same_summary():
    messages = said(*(f"Message {n} says something." for n in range(40)))
    assert summary_extract(previous="x", messages=messages) == summary_extract(previous="x", messages=messages)

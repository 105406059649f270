"""The offline summary (summaries/maker.summary_extract): deterministic, extractive, within
SUMMARY_MAX_TOKENS; over it, the chat's opening line stays and the newest lines follow a gap."""

import pytest

from conversation import tokens
from conversation.summaries.maker import GAP, summary_extract


@pytest.fixture(autouse=True)
def small_summaries(settings):
    settings.SUMMARY_MAX_TOKENS = 60


def said(*texts: str) -> list[dict]:
    return [{"role": ("user", "assistant")[n % 2], "text": text} for n, text in enumerate(texts)]


def test_a_summary_that_fits_holds_a_line_per_message_in_order():
    text = summary_extract(previous="", messages=said("Plan a trip to Lisbon in May. Two people.", "Sure."))
    assert text == "User: Plan a trip to Lisbon in May.\nAssistant: Sure."


def test_over_the_limit_the_opening_stays_and_the_oldest_after_it_go(settings):
    texts = ["Plan a trip to Lisbon in May.", *(f"Detail number {n}." for n in range(1, 30))]
    lines = summary_extract(previous="", messages=said(*texts)).splitlines()
    assert lines[0] == "User: Plan a trip to Lisbon in May."
    assert lines[1] == GAP
    assert lines[-1] == "Assistant: Detail number 29."
    numbers = [int(line.rsplit(" ", 1)[1].rstrip(".")) for line in lines[2:]]
    assert numbers == list(range(numbers[0], 30))
    assert numbers[0] > 1
    assert tokens.text_tokens("\n".join(lines)) <= settings.SUMMARY_MAX_TOKENS


def test_a_summary_made_from_the_last_keeps_its_opening_and_one_gap(settings):
    first = summary_extract(previous="", messages=said("Plan a trip to Lisbon.", *(f"Step {n}." for n in range(20))))
    second = summary_extract(previous=first, messages=said(*(f"Later {n}." for n in range(20))))
    lines = second.splitlines()
    assert lines[0] == "User: Plan a trip to Lisbon."
    assert lines.count(GAP) == 1
    assert lines[1] == GAP
    assert lines[-1] == "Assistant: Later 19."
    assert tokens.text_tokens(second) <= settings.SUMMARY_MAX_TOKENS


def test_the_first_line_of_the_owners_edit_is_the_opening_the_next_summaries_keep():
    edited = "We are planning two weeks in Portugal, budget 3000 euros.\nThey like trains."
    text = summary_extract(previous=edited, messages=said(*(f"Hotel option {n}." for n in range(30))))
    assert text.splitlines()[:2] == ["We are planning two weeks in Portugal, budget 3000 euros.", GAP]


def test_an_opening_too_long_to_stay_gives_way_to_the_newest_lines(settings):
    opening = " ".join(f"word{n}" for n in range(80))  # over the limit by itself
    text = summary_extract(previous=opening, messages=said(*(f"Point {n}." for n in range(10))))
    assert GAP not in text.splitlines()
    assert text.splitlines()[-1] == "Assistant: Point 9."
    assert tokens.text_tokens(text) <= settings.SUMMARY_MAX_TOKENS


def test_the_same_messages_give_the_same_summary():
    messages = said(*(f"Message {n} says something." for n in range(40)))
    assert summary_extract(previous="x", messages=messages) == summary_extract(previous="x", messages=messages)

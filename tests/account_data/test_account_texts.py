"""The account page's texts: sizes people read, counts with their plurals, and a finished
import's summary naming only what happened."""

import pytest

from account_data.views import EXPORT_TEXTS, FILL, IMPORT_TEXTS, export_text, fill, human_size


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (None, "< 1 KB"),
        (0, "< 1 KB"),
        (999, "< 1 KB"),
        (1000, "1 KB"),
        (2500, "3 KB"),  # half rounds up, as the page's script rounds it
        (12_345, "12 KB"),
        (999_499, "999 KB"),
        (999_500, "1.0 MB"),
        (1_250_000, "1.3 MB"),  # a tie rounds up here too, not to the even neighbour
        (2_540_000, "2.5 MB"),
        (120_400_000, "120 MB"),
        (1_234_000_000, "1.2 GB"),
    ],
)
def test_a_size_reads_as_people_say_it(size, said):
    assert human_size(size) == said


def test_a_count_takes_its_nouns_form():
    text = "{done:chat:chats}, {utterances:message:messages}"
    assert fill(text, {"done": 1, "utterances": 0}) == "1 chat, 0 messages"
    assert fill(text, {"done": 2, "utterances": 1}) == "2 chats, 1 message"
    assert fill("{file} and {missing}", {"file": "a.zip"}) == "a.zip and "


def test_a_small_export_is_ready_with_its_size_in_kilobytes():
    state = {
        "status": "done",
        "progress": {"sessions_done": 1, "sessions_total": 1, "utterances": 2},
        "size": 700,
        "error": None,
    }
    assert export_text(state).startswith("Your export is ready (< 1 KB). It can be downloaded for ")
    running = {**state, "status": "running", "progress": {"sessions_done": 0, "sessions_total": None, "utterances": 1}}
    assert export_text(running) == "Exporting: 0 of … chats, 1 message so far…"


def test_every_text_the_pages_fill_names_only_values_they_are_given():
    # The page's scripts fill these with the same names (static/js/account.js, imports.js).
    export_names = {"done", "total", "utterances", "size", "hours", "error"}
    counts = {"imported", "present", "failed", "skipped"}
    import_names = {"file", "percent", "done", "utterances", "error", "parts"} | counts
    for text in EXPORT_TEXTS.values():
        assert set(_names(text)) <= export_names, text
    for text in [*(t for t in IMPORT_TEXTS.values() if isinstance(t, str)), *IMPORT_TEXTS["parts"].values()]:
        assert set(_names(text)) <= import_names, text
    assert set(IMPORT_TEXTS["parts"]) == counts


def _names(text: str) -> list[str]:
    return [match.group(1) for match in FILL.finditer(text)]


def test_each_part_of_an_import_summary_names_what_it_counts():
    parts = IMPORT_TEXTS["parts"]
    assert fill(parts["present"], {"present": 3}) == "3 chats already here"
    assert fill(parts["present"], {"present": 1}) == "1 chat already here"
    assert fill(parts["failed"], {"failed": 2}) == "2 chats failed"
    assert fill(parts["imported"], {"imported": 1}) == "1 chat brought in"

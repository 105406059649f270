from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conversation import inputs
from tests.conversation.test_frames import json_values, storable

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("user", "user"), ("Human", "user"), ("agent", "assistant"), ("AI", "assistant"), ("system", "system")],
)
def test_it_normalizes_the_seeds_role_names(given, expected):
    assert inputs.normalize_role(given) == expected


@pytest.mark.parametrize("given", ["robot", "", None, 3])
def test_it_refuses_unknown_roles_naming_the_field(given):
    with pytest.raises(ValidationError) as caught:
        inputs.normalize_role(given)
    assert "role" in caught.value.message_dict


def test_it_reads_epoch_milliseconds():
    assert inputs.normalize_timestamp(1763726400000, now=NOW) == datetime(2025, 11, 21, 12, 0, tzinfo=UTC)


def test_it_reads_iso_8601_with_and_without_an_offset():
    assert inputs.normalize_timestamp("2026-01-02T03:04:05+02:00", now=NOW) == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert inputs.normalize_timestamp("2026-01-02T03:04:05", now=NOW) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("absurd", [0, 1234567890, -5, 10**20, "3026-01-01T00:00:00Z", "yesterday", True, None, ""])
def test_it_replaces_absurd_or_missing_timestamps_with_now(absurd):
    assert inputs.normalize_timestamp(absurd, now=NOW) == NOW


def test_auto_title_cuts_at_a_word_boundary_within_60_characters():
    text = "Could you help me plan a two week trip through the north of Portugal in spring please"
    title = inputs.auto_title(text)
    assert len(title) <= 60
    assert title == "Could you help me plan a two week trip through the north of…"


def test_auto_title_keeps_a_short_message_whole_on_one_line():
    assert inputs.auto_title("  Hello\n  there  ") == "Hello there"


def test_text_over_the_limit_names_the_field_and_the_limit(settings):
    settings.MAX_UTTERANCE_CHARS = 10
    with pytest.raises(ValidationError) as caught:
        inputs.check_text("x" * 11)
    assert caught.value.message_dict == {"text": ["Text is 11 characters; the limit is 10."]}


def test_metadata_over_the_limit_names_the_field_and_the_limit(settings):
    settings.MAX_METADATA_BYTES = 20
    with pytest.raises(ValidationError) as caught:
        inputs.check_metadata({"k": "v" * 30})
    assert "the limit is 20" in caught.value.message_dict["metadata"][0]


def test_title_over_the_limit_names_the_field_and_the_limit(settings):
    settings.MAX_TITLE_CHARS = 5
    with pytest.raises(ValidationError) as caught:
        inputs.check_title("too long")
    assert caught.value.message_dict == {"title": ["Title is 8 characters; the limit is 5."]}


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (inputs.check_text, "a\x00b", "Text must not contain NUL characters."),
        (inputs.check_text, "lone \ud800", "Text must not contain unpaired surrogates."),
        (inputs.check_title, "a\x00b", "Title must not contain NUL characters."),
        (inputs.check_title, "lone \udfff", "Title must not contain unpaired surrogates."),
        (inputs.check_metadata, {"nested": ["x\x00"]}, "Metadata must not contain NUL characters."),
        (inputs.check_metadata, {"key\x00": 1}, "Metadata must not contain NUL characters."),
        (inputs.check_metadata, {"k": "\ud800"}, "Metadata must not contain unpaired surrogates."),
        (inputs.check_metadata, {"k": float("nan")}, "Metadata must be JSON-serializable (no NaN or Infinity)."),
    ],
)
def test_what_postgresql_cannot_store_is_refused_naming_the_field(check, value, message):
    with pytest.raises(ValidationError) as caught:
        check(value, field_name="f")
    assert caught.value.message_dict == {"f": [message]}


def test_text_that_only_looks_like_an_escape_is_kept():
    assert inputs.check_text("a \\u0000 b") == "a \\u0000 b"
    assert inputs.check_metadata({"k": "\\u0000", "emoji": "😀"}) == {"k": "\\u0000", "emoji": "😀"}


def _nested(depth: int) -> dict:
    value: list = []
    for _ in range(depth - 2):
        value = [value]
    return {"k": value}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"n": 2**63}, "Metadata holds an integer beyond 64 bits: send it as a string."),
        ({"n": [-(2**63) - 1]}, "Metadata holds an integer beyond 64 bits: send it as a string."),
        (_nested(21), "Metadata is nested more than 20 levels deep."),
        (_nested(200_000), "Metadata is nested more than 20 levels deep."),
    ],
)
def test_metadata_the_live_events_cannot_carry_is_refused_naming_the_field(value, message):
    with pytest.raises(ValidationError) as caught:
        inputs.check_metadata(value, field_name="f")
    assert caught.value.message_dict == {"f": [message]}


def test_metadata_at_the_limits_is_kept():
    value = {"big": 2**63 - 1, "small": -(2**63), "deep": _nested(20)["k"], "flag": True}
    assert inputs.check_metadata(value) == value


def test_a_client_id_leaves_room_for_what_the_server_derives_from_it(settings):
    from conversation.models import Utterance
    from conversation.replies.store import reply_client_id

    longest = "c" * settings.MAX_CLIENT_ID_CHARS
    assert inputs.check_client_id(longest) == longest
    assert len(reply_client_id(longest, 99_999)) <= Utterance._meta.get_field("client_id").max_length
    with pytest.raises(ValidationError):
        inputs.check_client_id(longest + "c")


# Every check, against any JSON value (Hypothesis): a normalized value, or one ValidationError with a
# message; never another exception (a TypeError, an OverflowError, a RecursionError).
CHECKS = {
    "role": inputs.normalize_role,
    "text": inputs.check_text,
    "title": inputs.check_title,
    "metadata": inputs.check_metadata,
    "client_id": inputs.check_client_id,
    "seq": inputs.check_seq,
    "persona": lambda value: inputs.check_slug(value, field_name="persona"),
}


def outcome(check, value):
    try:
        return check(value), None
    except ValidationError as exc:
        return None, exc


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(CHECKS)), json_values)
def test_every_check_normalizes_any_json_value_or_refuses_it_with_a_message(name, value):
    result, refused = outcome(CHECKS[name], value)
    if refused is not None:
        assert refused.messages
        assert all(message and storable(message) for message in refused.messages)
        return
    if name == "seq":
        assert result is None or (type(result) is int and 0 <= result <= inputs.MAX_SEQ)
    elif name == "metadata":
        assert isinstance(result, dict)
    elif result is not None:
        assert isinstance(result, str)
        assert storable(result)


@hypothesis_settings(max_examples=150, deadline=None)
@given(json_values)
def test_a_timestamp_of_any_json_value_is_a_sane_moment(value):
    moment = inputs.normalize_timestamp(value, now=NOW)
    assert inputs.EARLIEST_SANE_TIMESTAMP <= moment <= NOW + inputs.LATEST_SANE_SKEW


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), ("42", 42), (" 7 ", 7), ("+7", 7), (inputs.MAX_SEQ, inputs.MAX_SEQ), (str(2**63 - 1), 2**63 - 1)],
)
def test_a_seq_is_a_whole_number_within_64_bits(value, expected):
    assert inputs.check_seq(value) == expected


@pytest.mark.parametrize("value", [inputs.MAX_SEQ + 1, str(2**64), -1, "-0x1", 1.0, True, "١٢", "1e3", [1], "+-5"])
def test_a_seq_past_64_bits_or_not_a_whole_number_is_refused(value):
    with pytest.raises(ValidationError, match="seq"):
        inputs.check_seq(value)

"""The chat socket's frame checks (conversation/frames.py) against any JSON value (Hypothesis):
each frame is either a Frame whose every field is normalized and storable, or FrameRefused with a
known code and a message; never another exception."""

import uuid

from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conversation import frames
from conversation.inputs import MAX_SEQ

HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\u202e",
    "9" * 30,
    "9223372036854775807",
    "9223372036854775808",
    "-1",
    "+7",
    "1e400",
    " 12 ",
    "١٢",
    "é" * 300,
    "",
    "00000000-0000-0000-0000-000000000000",
    "{00000000-0000-0000-0000-000000000000}",
    "k" * 80,
    "k" * 81,
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.sampled_from([MAX_SEQ, MAX_SEQ + 1, -(2**63), 0])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.text(st.characters(min_codepoint=0, max_codepoint=0xDFFF), max_size=10)
    | st.sampled_from(HOSTILE_STRINGS)
    | st.uuids().map(str)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["session_id", "client_id", "text", "persona", "seq"]
frames_of_known_types = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(frames.TYPES),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=len(FIELDS)),
)
CODES = {"bad_message", "unknown_type", "invalid", "not_found"}


def storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def check(content) -> None:
    try:
        frame, refused = frames.frame_check(content), None
    except frames.FrameRefused as exc:
        frame, refused = None, exc
    if refused is not None:
        assert refused.code in CODES
        assert refused.message
        assert storable(refused.message)
        assert refused.client_id is None or storable(refused.client_id)
        return
    assert frame.type in frames.TYPES
    assert frame.session_id is None or isinstance(frame.session_id, uuid.UUID)
    assert frame.client_id is None or (storable(frame.client_id) and len(frame.client_id) <= 80)
    assert frame.text is None or (storable(frame.text) and 0 < len(frame.text) <= settings.MAX_UTTERANCE_CHARS)
    assert frame.persona is None or storable(frame.persona)
    assert frame.seq is None or (type(frame.seq) is int and 0 <= frame.seq <= MAX_SEQ)
    if frame.type in ("edit", "regenerate", "switch"):
        assert frame.seq is not None
    if frame.type in ("send", "edit"):
        assert frame.text is not None


@hypothesis_settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_is_a_checked_frame_or_a_refusal_with_a_message(content):
    check(content)


@hypothesis_settings(max_examples=800, deadline=None)
@given(frames_of_known_types)
def test_any_value_in_any_field_is_normalized_or_refused_with_a_message(content):
    check(content)


def test_a_frame_at_the_limits_passes_whole():
    frame = frames.frame_check(
        {"type": "edit", "seq": str(MAX_SEQ), "client_id": "k" * 80, "text": "x" * settings.MAX_UTTERANCE_CHARS}
    )
    assert (frame.seq, len(frame.client_id), len(frame.text)) == (MAX_SEQ, 80, settings.MAX_UTTERANCE_CHARS)

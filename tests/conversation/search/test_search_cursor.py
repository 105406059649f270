"""The message search's cursor comes back from the client: a forged one is a clear 400, never a
value the database cannot take (an id past 64 bits, a time that overflows UTC, a rank past a float)."""

import base64

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversation.search.hits import decode_cursor, encode_cursor


def forged(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


def test_a_cursor_it_made_comes_back_as_it_was():
    cursor = encode_cursor(rank=0.5, created_at=timezone.now(), utterance_id=7)
    assert decode_cursor(cursor)[::2] == (0.5, 7)


@pytest.mark.parametrize(
    "raw",
    [
        '[1.0, "2025-01-01T00:00:00+00:00", 1000000000000000000000000000000]',
        '[1.0, "2025-01-01T00:00:00+00:00", -1000000000000000000000000000000]',
        "[1" + "0" * 400 + ', "2025-01-01T00:00:00+00:00", 1]',
        '[NaN, "2025-01-01T00:00:00+00:00", 1]',
        '[1.0, "0001-01-01T00:00:00+14:00", 1]',
        '[1.0, "2025-01-01T00:00:00", 1]',
        '[true, "2025-01-01T00:00:00+00:00", 1]',
    ],
)
def test_a_forged_cursor_the_database_cannot_take_is_refused(raw):
    with pytest.raises(ValidationError) as refused:
        decode_cursor(forged(raw))
    assert "cursor" in refused.value.message_dict

"""The chat page's template filters."""

import pytest

from conversation.templatetags.chat import beside_title_filter


@pytest.mark.parametrize(
    ("preview", "title", "shown"),
    [
        ("Trip in May", "Trip in May", ""),  # the title is the message itself
        ("Where should we go in May and for how long", "Where should we go…", ""),  # its start, cut
        ("Trip to Lisbon in May", "Trip", "Trip to Lisbon in May"),  # renamed to a shorter start
        ("Plan a trip to Porto instead", "Plan a trip", "Plan a trip to Porto instead"),  # first message edited
        ("Trip in May", "Lisbon", "Trip in May"),
    ],
)
def test_a_row_leaves_out_only_a_preview_its_title_repeats(preview, title, shown):
    assert beside_title_filter(preview, title) == shown

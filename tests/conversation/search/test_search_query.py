"""The search box's words: those neither engine can match are left out of the match on both, so
that PostgreSQL and SQLite's FTS5 answer the same."""

from conversation.search.query import parse_query, searchable_words


def test_a_term_of_underscores_alone_is_no_word_on_either_engine():
    # PostgreSQL's parser drops "___" (the query is "sourdough"); FTS5's unicode61 makes it an empty
    # phrase that matches nothing: left in, the same search found the message on one runtime only.
    assert parse_query("sourdough ___ _").searchable_terms() == ["sourdough"]
    assert searchable_words("sourdough ___") == ["sourdough"]


def test_a_word_with_an_underscore_inside_stays():
    assert parse_query("foo_bar").searchable_terms() == ["foo_bar"]

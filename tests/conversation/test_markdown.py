"""Assistant Markdown: rendered in linear time and sanitized, whatever the text is built of."""

import re
import time

import pytest

from conversation.markdown import ALLOWED_TAGS, render_markdown
from tests.helpers import say

N = 32000  # MAX_UTTERANCE_CHARS


def _fill(unit: str) -> str:
    return (unit * (N // len(unit) + 1))[:N]


ADVERSARIAL = {
    "runs of [": _fill("["),
    "runs of [a](": _fill("[a]("),
    "runs of *a": _fill("*a"),
    "runs of _a": _fill("_a"),
    "runs of <": _fill("<"),
    "runs of [![": _fill("[!["),
    "nested emphasis": ("*_" * (N // 4) + "x" + "_*" * (N // 4))[:N],
    "nested strong": ("**a " * (N // 8) + "b" + "** " * (N // 8))[:N],
    "unclosed links": "[x](" + "(" * (N - 4),
    "unclosed fence": "```\n" + _fill("`")[: N - 4],
    "wide table": ("|" + "a|" * (N // 8) + "\n|" + "-|" * (N // 8) + "\n|" + "b|" * (N // 8))[:N],
    "long table": ("|a|b|\n|-|-|\n" + "|x|y|\n" * (N // 6))[:N],
    "nested quotes": _fill("> "),
    "nested quote markers": _fill(">"),
    "nested lists": "".join("  " * depth + "- a\n" for depth in range(300))[:N],
    "quotes in lists": _fill("- > "),
    "script tags": _fill("<script>alert(1)</script>"),
    "javascript links": _fill("[x](javascript:alert(1)) "),
    "autolinks": _fill("www.a.b "),
}
# Python-Markdown took about two minutes on 32,000 "["; a linear renderer takes milliseconds. The
# bound is loose enough for a loaded CI machine and far below what a quadratic renderer needs.
BOUND_SECONDS = 1.0
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_hostile_markdown_renders_fast_and_sanitized(text):
    started = time.perf_counter()
    html = render_markdown(text)
    elapsed = time.perf_counter() - started
    assert elapsed < BOUND_SECONDS, f"{elapsed:.2f} s"
    assert set(TAG.findall(html)) <= ALLOWED_TAGS
    assert "javascript:" not in html
    assert "<script" not in html


def test_it_keeps_fenced_code_tables_lists_and_links_with_rel():
    html = render_markdown(
        "```python\nprint('<b>')\n```\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n3. three\n4. four\n\n"
        "- x\n- y\n\n[site](https://example.com) ~~gone~~"
    )
    assert "<pre><code class=\"language-python\">print('&lt;b&gt;')" in html
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert '<ol start="3">' in html
    assert "<li>x</li>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a>' in html
    assert "<del>gone</del>" in html


def test_raw_html_and_event_handlers_never_survive():
    html = render_markdown('<img src=x onerror="alert(1)"> <a href="javascript:alert(1)">x</a> <iframe></iframe>')
    assert "<img" not in html
    assert "onerror" not in html
    assert "<iframe" not in html
    assert "javascript:" not in html


def test_markdown_nested_deeper_than_the_limit_is_shown_as_plain_text(settings):
    settings.MARKDOWN_MAX_DEPTH = 4
    html = render_markdown("> > > > > deep <b>\nline two")
    assert "<blockquote>" not in html
    assert html == "<p>&gt; &gt; &gt; &gt; &gt; deep &lt;b&gt;<br>\nline two</p>"
    assert "<blockquote>" in render_markdown("> > shallow")


def test_a_page_of_hostile_messages_of_the_maximum_size_renders_well_under_a_second(owner, owner_client, session):
    for text in list(ADVERSARIAL.values())[:10]:
        say(owner, session, text, role="assistant")
    started = time.perf_counter()
    response = owner_client.get(f"/c/{session.pk}/")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < BOUND_SECONDS, f"{elapsed:.2f} s"

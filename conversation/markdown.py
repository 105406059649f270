"""Assistant text as sanitized Markdown: no user or model text ever executes as HTML or script.

cmark-gfm (GitHub's C parser, through cmarkgfm) parses in time linear in the text, whatever it is
built of; Python-Markdown is quadratic on runs of `[` and other nestings, so one hostile message
held a server's CPU for minutes on every view. Raw HTML in the text is dropped by cmark-gfm's safe
mode, and nh3 then keeps only the tags and attributes listed here.

nh3's HTML parser is quadratic in the depth of nesting (`>` x 32,000 is 32,000 nested quotes), so
HTML nested deeper than MARKDOWN_MAX_DEPTH is not given to it: such a text is shown as plain text.
"""

import re
from itertools import accumulate

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["table", "strikethrough", "autolink", "tagfilter"]
ALLOWED_TAGS = {
    "p", "br", "hr", "pre", "code", "em", "strong", "del", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}

# In safe mode every "<" of cmark-gfm's output opens or closes one of its own tags (text is
# escaped). Depth is counted in C: one character per tag ("/" closes, a letter opens; void tags are
# left out), mapped to +1/-1 as signed bytes and summed by accumulate.
_TAG = re.compile(r"<(/|(?!(?:br|hr|img|input)\b)[a-z])")
_STEP = {**dict.fromkeys(range(ord("a"), ord("z") + 1), 1), ord("/"): 255}


def _depth(html: str) -> int:
    steps = "".join(_TAG.findall(html)).translate(_STEP).encode("latin-1")
    return max(accumulate(memoryview(steps).cast("b")), default=0)


def render_markdown(text: str) -> SafeString:
    html = cmarkgfm.markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_VALIDATE_UTF8, extensions=EXTENSIONS
    )
    if _depth(html) > settings.MARKDOWN_MAX_DEPTH:
        return mark_safe("<p>" + escape(text).replace("\n", "<br>\n") + "</p>")  # noqa: S308 - escaped
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has removed every tag and attribute not listed above

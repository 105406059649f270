import json
from urllib.parse import urljoin

from django import template
from django.contrib.staticfiles.storage import staticfiles_storage
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from conversation.markdown import render_markdown
from conversation.models import display_title
from conversation.sessions.lists import recency_group

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Assistant text as sanitized Markdown (conversation/markdown.py)."""
    return render_markdown(text)


@register.filter(name="recency")
def recency_filter(moment):
    """Today, Yesterday, Previous 7 days or Older: the sidebar's groups."""
    return recency_group(moment)


@register.filter(name="beside_title")
def beside_title_filter(preview: str, title: str) -> str:
    """A row's preview, or "" where it would only repeat the title: the title is the preview itself, or
    its start cut with "…", as an automatic title is (static/js/chat/sidebar.js's previewBesideTitle
    says the same). A title that is a shorter start without "…" (a rename) leaves it shown."""
    shown = display_title(title)
    repeats = preview == shown or (shown.endswith("…") and preview.startswith(shown.removesuffix("…")))
    return "" if repeats else preview


@register.filter(name="display_title")
def display_title_filter(title: str) -> str:
    """A session row's title as shown (Session.display_title for rows of values)."""
    return display_title(title)


# The chat page's ES modules, its entry point first. Each file is served under its content-hashed
# name (cached for a year); an import between them names the plain file, so an import map sends
# each plain name to its hashed one.
CHAT_MODULES = [
    "js/chat.js",
    "js/socket.js",
    "js/chat/page.js",
    "js/chat/connection.js",
    "js/chat/messages.js",
    "js/chat/sidebar.js",
    "js/chat/session.js",
    "js/chat/composer.js",
    "js/chat/branches.js",
    "js/chat/live.js",
    "js/chat/tags.js",
    "js/chat/landing.js",
    "js/chat/search.js",
    "js/chat/selection.js",
    "js/chat/folders.js",
    "js/chat/share.js",
    "js/chat/context.js",
    "js/chat/gauge.js",
    "js/chat/summary.js",
]


@register.simple_tag(takes_context=True)
def chat_modules(context) -> str:
    """The import map, a modulepreload per module (fetched at once rather than one import after
    another) and the entry point's script tag."""
    urls = {name: staticfiles_storage.url(name) for name in CHAT_MODULES}
    plain = {name: urljoin(staticfiles_storage.base_url, name) for name in CHAT_MODULES}
    imports = {plain[name]: url for name, url in urls.items() if url != plain[name]}
    parts = []
    if imports:
        nonce = context["request"].csp_nonce
        parts.append(
            # JSON in a script element is not HTML-escaped; "<" is escaped in JSON instead (static paths).
            format_html(
                '<script type="importmap" nonce="{}">{}</script>',
                nonce,
                mark_safe(json.dumps({"imports": imports}).replace("<", "\\u003c")),  # noqa: S308
            )
        )
    parts += [format_html('<link rel="modulepreload" href="{}">', url) for url in list(urls.values())[1:]]
    parts.append(format_html('<script type="module" src="{}"></script>', urls[CHAT_MODULES[0]]))
    return mark_safe("\n".join(parts))  # noqa: S308 (each part built by format_html)

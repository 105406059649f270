from django import template

from conversation.markdown import render_markdown
from conversation.models import display_title
from conversation.selectors import recency_group

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Assistant text as sanitized Markdown (conversation/markdown.py)."""
    return render_markdown(text)


@register.filter(name="recency")
def recency_filter(moment):
    """Today, Yesterday, Previous 7 days or Older: the sidebar's groups."""
    return recency_group(moment)


@register.filter(name="display_title")
def display_title_filter(title: str) -> str:
    """A session row's title as shown (Session.display_title for rows of values)."""
    return display_title(title)

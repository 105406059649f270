"""A link's rendered messages, put in the cache once its snapshot is taken: its first visitor then
finds them there instead of paying for every message's Markdown (bench/share.py: 2.8x the owner's
chat page for 1,000 messages uncached, 0.35x cached)."""

from collections.abc import Iterable

from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.db import transaction
from django.template.loader import render_to_string

from sharing.models import Share


def share_messages_render_after_commit(*, share: Share) -> None:
    """After the commit, render the shared page's messages fragment (its `{% cache %}` block, keyed
    by the link and its `updated_at`), as the page would: a cache that is down skips the write, and
    any failure is logged, never the owner's answer (robust): the page renders them itself then."""
    transaction.on_commit(lambda: render_to_string("sharing/_shared_messages.html", {"share": share}), robust=True)


def share_messages_forget_after_commit(*, shares: Iterable[Share]) -> None:
    """After the commit, drop the rendered messages of these links as they stand now (their id and
    `updated_at`): a revoked link's, a replaced snapshot's or an erased account's text does not stay
    in the cache for the rest of its day. The cache the `{% cache %}` tag writes to: its own alias
    when there is one."""
    keys = [make_template_fragment_key("shared_messages", [s.pk, s.updated_at.isoformat()]) for s in shares]
    alias = "template_fragments" if "template_fragments" in caches else "default"
    transaction.on_commit(lambda: caches[alias].delete_many(keys), robust=True)

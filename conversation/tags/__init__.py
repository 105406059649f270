"""A user's tags on chats (docs/tags.md): names, services (writes) and selectors (reads)."""

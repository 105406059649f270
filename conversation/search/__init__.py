"""Search: a user's messages (message_search_for_user, GET /api/search/) and, grouped by session,
their chats (session_search_for_user, GET /api/sessions/?q= and the sidebar). docs/search.md."""

from conversation.search.hits import MessageHit, MessageHitPage, SearchHit, SearchTooBroad
from conversation.search.messages import message_search_for_user
from conversation.search.query import MAX_QUERY_CHARS, check_query
from conversation.search.sessions import session_search_for_user

__all__ = [
    "MAX_QUERY_CHARS",
    "MessageHit",
    "MessageHitPage",
    "SearchHit",
    "SearchTooBroad",
    "check_query",
    "message_search_for_user",
    "session_search_for_user",
]

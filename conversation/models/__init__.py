"""The conversation app's models, one module per concern; every model is importable from here."""

from conversation.models.context import ContextSummary, TokenUsageDay
from conversation.models.organize import Folder, SessionTag, Tag
from conversation.models.personas import Persona, Role
from conversation.models.records import ImportedConversation, RetiredSessionId, SessionAudit
from conversation.models.runtime import ReplyInFlight, SocketLease
from conversation.models.sessions import (
    ARCHIVED,
    LIVE,
    PINNED,
    RETAINED,
    SEARCH_CONFIG,
    TRASH,
    Session,
    SessionBranch,
    Utterance,
    display_title,
)

__all__ = [
    "ARCHIVED",
    "LIVE",
    "PINNED",
    "RETAINED",
    "SEARCH_CONFIG",
    "TRASH",
    "ContextSummary",
    "Folder",
    "ImportedConversation",
    "Persona",
    "ReplyInFlight",
    "RetiredSessionId",
    "Role",
    "Session",
    "SessionAudit",
    "SessionBranch",
    "SessionTag",
    "SocketLease",
    "Tag",
    "TokenUsageDay",
    "Utterance",
    "display_title",
]

"""The product's limits, the assistant's settings and the sockets' budgets, from environment variables (the README's
table lists them): settings.py takes every name here as a setting of its own. Code reads them from
django.conf.settings, never from this module, so that a test's override holds."""

import environ

env = environ.Env()

# Product limits, enforced by the services (see conversation/sessions/, history/, branches/).
MAX_UTTERANCE_CHARS = env.int("MAX_UTTERANCE_CHARS", default=32000)
MAX_BATCH_UTTERANCES = env.int("MAX_BATCH_UTTERANCES", default=500)
MAX_METADATA_BYTES = env.int("MAX_METADATA_BYTES", default=16384)
MAX_TITLE_CHARS = env.int("MAX_TITLE_CHARS", default=200)
MAX_METADATA_DEPTH = env.int("MAX_METADATA_DEPTH", default=20)
# What a client may send as a client_id, and what every stored client_id obeys: ids the server derives
# (a reply's ":reply:N", conversation/replies/store.reply_client_id) use a digest past it. The column holds 100.
MAX_CLIENT_ID_CHARS = 80
AUTO_TITLE_CHARS = 60
# A session's preview (its first user message on one line, in lists and the sidebar) is cut to this.
SESSION_PREVIEW_CHARS = env.int("SESSION_PREVIEW_CHARS", default=120)
MAX_PAGE_SIZE = 200
# Folders (docs/folders.md) and tags (docs/tags.md): how deep folders nest, and how many of each a
# user may have; how many tags one chat may carry. Each is checked by the services before a write.
MAX_FOLDER_DEPTH = env.int("MAX_FOLDER_DEPTH", default=3)
MAX_FOLDERS = env.int("MAX_FOLDERS", default=200)
MAX_FOLDER_INSTRUCTIONS_CHARS = env.int("MAX_FOLDER_INSTRUCTIONS_CHARS", default=4000)
MAX_TAGS = env.int("MAX_TAGS", default=500)
MAX_TAGS_PER_SESSION = env.int("MAX_TAGS_PER_SESSION", default=20)
# Shared links (docs/sharing.md): a chat longer than MAX_SHARE_MESSAGES is not shared; links one
# user may have; e-mails one link may name; wrong passwords per link and client before a lockout.
MAX_SHARE_MESSAGES = env.int("MAX_SHARE_MESSAGES", default=5000)
MAX_SHARES = env.int("MAX_SHARES", default=1000)
MAX_SHARE_EMAILS = env.int("MAX_SHARE_EMAILS", default=50)
SHARE_PASSWORD_FAILURE_LIMIT = env.int("SHARE_PASSWORD_FAILURE_LIMIT", default=5)
# ... and from all clients together (log-in locks an account whatever the address, too).
SHARE_PASSWORD_LINK_FAILURE_LIMIT = env.int("SHARE_PASSWORD_LINK_FAILURE_LIMIT", default=20)
SHARE_LOCKOUT_MINUTES = env.int("SHARE_LOCKOUT_MINUTES", default=15)
# "Continue as copy"s one user may make an hour (each up to MAX_SHARE_MESSAGES messages).
SHARE_COPIES_PER_HOUR = env.int("SHARE_COPIES_PER_HOUR", default=20)
# A search statement stops after this long and the search answers "too broad, refine" (a word in
# nearly every message of a large history); PostgreSQL's statement_timeout, SQLite's progress handler.
SEARCH_TIMEOUT_MS = env.int("SEARCH_TIMEOUT_MS", default=1000)
# Assistant Markdown nested deeper than this (quotes in quotes, lists in lists) is shown as plain text.
MARKDOWN_MAX_DEPTH = env.int("MARKDOWN_MAX_DEPTH", default=32)
# Characters of message text one page of the chat renders (at least one message): the rest loads
# on scroll, so rendering a page stays bounded however long its messages are.
MESSAGES_PAGE_MAX_CHARS = env.int("MESSAGES_PAGE_MAX_CHARS", default=100_000)
# The deployment's cap on how long an inactive session is kept before expire_sessions moves it to
# the trash, whatever its owner chose (accounts.models.RETENTION_CHOICES); unset: no cap.
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=None)
# A finished account export can be downloaded for this long; expire_sessions then removes its file.
EXPORT_TTL_HOURS = env.int("EXPORT_TTL_HOURS", default=24)
# A running export that has not reported progress for this long was cut off (its worker stopped):
# it reads as failed, and a new one may start.
EXPORT_STALL_SECONDS = env.int("EXPORT_STALL_SECONDS", default=300)
# Imports (docs/imports.md): the largest file accepted (413 above it), the largest file a zip may
# unpack to, and how long a running import may stay silent before it reads as cut off.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=1024**3)
IMPORT_MAX_MEMBER_BYTES = env.int("IMPORT_MAX_MEMBER_BYTES", default=4 * 1024**3)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=4 * 1024**3)  # a zip's members in all
IMPORT_STALL_SECONDS = env.int("IMPORT_STALL_SECONDS", default=300)
# An imported file is refused as it is read (imports/guard.py) once it nests deeper than this, or
# holds a string longer than this many bytes as written: the longest text stored, each character
# written as the longest JSON escape (\ud83d\ude00: 12 bytes), so that no storable text is refused.
# LibreChat's tree export nests each message in the one it answers (two levels a message): it may
# nest IMPORT_MAX_TREE_DEPTH deep, read without ijson's per-level paths.
IMPORT_MAX_DEPTH = env.int("IMPORT_MAX_DEPTH", default=64)
IMPORT_MAX_STRING_BYTES = env.int("IMPORT_MAX_STRING_BYTES", default=12 * MAX_UTTERANCE_CHARS + 4096)
IMPORT_MAX_TREE_DEPTH = env.int("IMPORT_MAX_TREE_DEPTH", default=20_000)
# Each conversation of a file costs a report row: a file of a million tiny entries must not cost a
# million rows. Past either bound the import stops with the reason; what it imported stays.
IMPORT_MAX_CONVERSATIONS = env.int("IMPORT_MAX_CONVERSATIONS", default=50_000)
IMPORT_MAX_FAILED_CONVERSATIONS = env.int("IMPORT_MAX_FAILED_CONVERSATIONS", default=1_000)
# Each import and export runs in a child process of its worker under limits it cannot lift
# (chatproject/jobs/limits.py): its memory (data: heap and objects), its CPU time, and its wall time; a job
# over one fails with the reason and the worker goes on. One user runs one job at a time: another of
# theirs waits JOB_DEFER_SECONDS in the queue and is tried again, so it never holds a worker idle.
JOB_MAX_MEMORY_MB = env.int("JOB_MAX_MEMORY_MB", default=512)
JOB_MAX_CPU_SECONDS = env.int("JOB_MAX_CPU_SECONDS", default=900)
JOB_MAX_SECONDS = env.int("JOB_MAX_SECONDS", default=1800)
JOB_DEFER_SECONDS = env.float("JOB_DEFER_SECONDS", default=2.0)
# The most sessions one POST /api/sessions/bulk/ may name.
MAX_BULK_SESSIONS = env.int("MAX_BULK_SESSIONS", default=1000)
# How long a session stays in the trash before expire_sessions removes it for good.
TRASH_RETENTION_DAYS = env.int("TRASH_RETENTION_DAYS", default=30)
# The context a reply gets (docs/context.md): the newest messages of the active branch that fit in
# CONTEXT_MAX_TOKENS (a persona may have its own) minus ASSISTANT_MAX_TOKENS, with the system prompt
# and the summary of what came before; never more than CONTEXT_WINDOW_SIZE messages, however short.
CONTEXT_MAX_TOKENS = env.int("CONTEXT_MAX_TOKENS", default=8192)
CONTEXT_WINDOW_SIZE = env.int("CONTEXT_WINDOW_SIZE", default=200)
CONTEXT_TTL_SECONDS = env.int("CONTEXT_TTL_SECONDS", default=3600)
# A summary of a chat's older messages is made (by the model, in the background) ahead of their
# falling out of the window, once the prompt is SUMMARY_AHEAD_PERCENT full or has left one out: a
# call for every 2 x SUMMARY_EVERY_MESSAGES messages, or as soon as SUMMARY_EVERY_MESSAGES fell out
# unsummarized (docs/context.md "Summaries"); 0 turns summaries off. A summary is kept to SUMMARY_MAX_TOKENS, and
# an owner's edit to MAX_SUMMARY_CHARS characters.
SUMMARY_EVERY_MESSAGES = env.int("SUMMARY_EVERY_MESSAGES", default=10)
SUMMARY_AHEAD_PERCENT = env.int("SUMMARY_AHEAD_PERCENT", default=80)
SUMMARY_MAX_TOKENS = env.int("SUMMARY_MAX_TOKENS", default=1024)
MAX_SUMMARY_CHARS = env.int("MAX_SUMMARY_CHARS", default=8000)
# After a chat's first reply the model proposes its title (the offline backend keeps the first
# message's words); a title given by a person is never replaced.
TITLES_BY_MODEL = env.bool("TITLES_BY_MODEL", default=True)

# Assistant replies (conversation/assistant.py): the OpenAI-compatible backend when a base URL is
# set, else the offline development backend.
ASSISTANT_BASE_URL = env.str("ASSISTANT_BASE_URL", default="")
ASSISTANT_API_KEY = env.str("ASSISTANT_API_KEY", default="")
ASSISTANT_MODEL = env.str("ASSISTANT_MODEL", default="llama3.2")
ASSISTANT_TIMEOUT_SECONDS = env.float("ASSISTANT_TIMEOUT_SECONDS", default=60.0)
ASSISTANT_OFFLINE_DELAY_SECONDS = env.float("ASSISTANT_OFFLINE_DELAY_SECONDS", default=0.03)
# Longest a whole reply may take (the timeout above bounds each wait); past it the reply is cut off
# and stored with what it has. And the most tokens asked of the model for one reply.
ASSISTANT_DEADLINE_SECONDS = env.float("ASSISTANT_DEADLINE_SECONDS", default=300.0)
ASSISTANT_MAX_TOKENS = env.int("ASSISTANT_MAX_TOKENS", default=2048)

# Sockets and replies.
# Messages a socket may send a minute (open, send, stop) before it gets rate_limited errors.
WS_MAX_MESSAGES_PER_MINUTE = env.int("WS_MAX_MESSAGES_PER_MINUTE", default=60)
# Budgets per user, whatever the door (conversation/budgets.py, conversation/replies/claim.py): replies
# being written at once (sockets and the API), and open chat sockets (a lease per socket; each
# process pushes its sockets' leases forward every SOCKET_HEARTBEAT_SECONDS, by one UPDATE, so the
# leases of a process that died stop counting after SOCKET_LEASE_SECONDS).
MAX_CONCURRENT_REPLIES_PER_USER = env.int("MAX_CONCURRENT_REPLIES_PER_USER", default=3)
MAX_SOCKETS_PER_USER = env.int("MAX_SOCKETS_PER_USER", default=10)
SOCKET_HEARTBEAT_SECONDS = env.float("SOCKET_HEARTBEAT_SECONDS", default=60.0)
SOCKET_LEASE_SECONDS = env.float("SOCKET_LEASE_SECONDS", default=180.0)
# The largest frame a socket accepts, in bytes: Daphne refuses a larger one while it arrives
# (chatproject/daphne.py), before it is held whole. A text of MAX_UTTERANCE_CHARS characters, each
# JSON-escaped to at most 6 bytes, with room for the other fields.
WS_MAX_FRAME_BYTES = MAX_UTTERANCE_CHARS * 6 + 4096
# How long Daphne waits for a socket's handshake to be accepted before it drops the connection
# (its command line's default is 5 s). A busy process (every tab reconnecting after a restart,
# replies streaming) finishes handshakes late; dropping them only makes each client retry.
WS_CONNECT_TIMEOUT_SECONDS = env.int("WS_CONNECT_TIMEOUT_SECONDS", default=30)

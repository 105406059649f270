import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

# Full-text search configuration. The GIN indexes of migration 0001 are built on
# to_tsvector(SEARCH_CONFIG, ...) and the search selector must query the same expression.
SEARCH_CONFIG = "english"


class Persona(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    system_prompt = models.TextField()
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="persona_single_default"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"
    SYSTEM = "system", "System"


def display_title(title: str) -> str:
    """What a session is called where it is shown: its title, or "New chat" until it has one."""
    return title or "New chat"


# Which sessions each list view shows (sessions.lists.session_list_for_user); pinned ones are live too.
LIVE = Q(archived_at__isnull=True, deleted_at__isnull=True)
PINNED = Q(pinned_at__isnull=False, archived_at__isnull=True, deleted_at__isnull=True)
ARCHIVED = Q(archived_at__isnull=False, deleted_at__isnull=True)
TRASH = Q(deleted_at__isnull=False)
# Sessions that retention may move to the trash: not there yet, not pinned (archived ones included).
RETAINED = Q(deleted_at__isnull=True, pinned_at__isnull=True)


class Folder(models.Model):
    """A user's folder of chats (docs/folders.md), nested up to settings.MAX_FOLDER_DEPTH levels.

    `depth` is stored (1 for a top folder) so that a move or a new subfolder is checked without
    walking the tree; the folder services keep it exact for a moved folder's whole subtree. `persona`
    and `instructions` are the defaults of a chat started in the folder: its persona, and words
    added to the system prompt of its replies. A folder's name is unique among its siblings, in any
    case (the two constraints below: a top folder has no parent to compare)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_folders")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(max_length=100)
    depth = models.PositiveSmallIntegerField(default=1)
    persona = models.ForeignKey(Persona, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    instructions = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                F("user"), F("parent"), Lower("name"), condition=Q(parent__isnull=False), name="folder_name_unique"
            ),
            models.UniqueConstraint(
                F("user"), Lower("name"), condition=Q(parent__isnull=True), name="folder_top_name_unique"
            ),
            models.CheckConstraint(condition=Q(depth__gte=1), name="folder_depth_positive"),
        ]
        indexes = [
            # A user's folders, the sidebar's tree and the API's list: WHERE user_id = ? (all of them,
            # at most settings.MAX_FOLDERS), and a folder's children: WHERE parent_id = ?.
            models.Index(fields=["user", "parent"], name="folder_user_parent_idx"),
            models.Index(fields=["parent"], name="folder_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """One of a user's tags (docs/tags.md). A chat's tags are its SessionTag rows (what filters
    read) and, by name, its `Session.tag_names` (what every door shows): the tag services keep the
    two exact in one transaction. Names are unique per user in any case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_tags")
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The user's tag of a name (a typed tag found again, suggestions by prefix): WHERE
            # user_id = ? AND lower(name) = ? (or LIKE ?).
            models.UniqueConstraint(F("user"), Lower("name"), name="tag_user_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """A conversation. Counters are maintained by the history and branch services in the writing transaction."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField(max_length=200, blank=True, default="")
    persona = models.ForeignKey(Persona, on_delete=models.PROTECT, related_name="sessions")
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The lifecycle (docs/lifecycle.md): when it was pinned, archived, moved to the trash; null = not.
    pinned_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When it last came back from the trash: retention counts from then too, so that a restored
    # session is not moved back by the next expiry run.
    restored_at = models.DateTimeField(null=True, blank=True)
    # Final utterances only (interim voice transcripts are not counted), in total and by role.
    message_count = models.PositiveIntegerField(default=0)
    user_message_count = models.PositiveIntegerField(default=0)
    assistant_message_count = models.PositiveIntegerField(default=0)
    system_message_count = models.PositiveIntegerField(default=0)
    # The seq allocator: only ever grows, survives a clear, so a seq is never reused.
    last_seq = models.BigIntegerField(default=0)
    # Bumped by a clear and by every move of the head to another branch, so cached context windows
    # of another state are never read again.
    context_epoch = models.PositiveIntegerField(default=0)
    # Branches (docs/branches.md): the active branch is the path from the first utterance to the
    # head. Appends extend it: their first utterance's parent is head_seq (null: the session is
    # empty, or a branch starts at the root), and they go on head_branch. branch_path is the active
    # path as [[branch, last seq on it or null for all], ...] from the head's branch to the root;
    # empty while the session has one branch (a plain list, read as it always was).
    head_seq = models.BigIntegerField(null=True, blank=True)
    head_branch = models.PositiveIntegerField(default=0, db_default=0)
    # The head before the last append: the parent of its first utterance. The append statement sets
    # it from the row it updates (SET sees the old head_seq), so the one statement needs no read first.
    append_parent_seq = models.BigIntegerField(null=True, blank=True)
    branch_path = models.JSONField(default=list, db_default=[], blank=True)
    # The first final user message of the active branch, on one line and cut short
    # (inputs.preview_text); "" while the branch has none. Kept exact by every writer of the
    # utterances or of the head, in its own transaction (docs/architecture.md, "Session previews").
    preview = models.CharField(max_length=200, blank=True, default="", db_default="")
    # The folder it is in (at most one; null: none), and its tags' names, sorted case-insensitively:
    # a copy of its SessionTag rows kept by the tag services, so that a row shows its tags with no query.
    folder = models.ForeignKey(Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    tag_names = models.JSONField(default=list, db_default=[], blank=True)

    class Meta:
        verbose_name = "chat session"
        indexes = [
            # session_list_for_user, one index per view: WHERE user_id = ? AND <the view's condition>
            # ORDER BY last_activity_at DESC, id DESC (keyset). Each holds only its view's rows.
            models.Index(fields=["user", "-last_activity_at", "-id"], name="session_live_activity_idx", condition=LIVE),
            models.Index(
                fields=["user", "-last_activity_at", "-id"], name="session_pinned_activity_idx", condition=PINNED
            ),
            models.Index(
                fields=["user", "-last_activity_at", "-id"], name="session_archived_activity_idx", condition=ARCHIVED
            ),
            # The trash, newest deletion first; and the purge of what has been there too long.
            models.Index(fields=["user", "-deleted_at", "-id"], name="session_trash_idx", condition=TRASH),
            models.Index(fields=["deleted_at"], name="session_trash_age_idx", condition=TRASH),
            # A folder's chats in the sidebar and the folder filter: WHERE folder_id = ? AND <live>
            # ORDER BY last_activity_at DESC, id DESC.
            models.Index(
                fields=["folder", "-last_activity_at", "-id"], name="session_folder_activity_idx", condition=LIVE
            ),
            # The admin's activity filter: WHERE last_activity_at < ?.
            models.Index(fields=["last_activity_at"], name="session_activity_idx"),
            # expire_sessions' retention (sessions.expiry.sessions_retention_due): WHERE <RETAINED> AND
            # last_activity_at < ? ORDER BY last_activity_at. Partial, so that the trash it fills is
            # not scanned again by every later batch.
            models.Index(fields=["last_activity_at"], name="session_retention_idx", condition=RETAINED),
            # session_search_for_user, title matches: GIN index session_title_search_idx on
            # (user_id, the title's tsvector), PostgreSQL only (migrations 0001 and 0007;
            # conversation/migration_operations.py says why it stays outside the model).
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    message_count=models.F("user_message_count")
                    + models.F("assistant_message_count")
                    + models.F("system_message_count")
                ),
                name="session_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return display_title(self.title)


class Utterance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="utterances")
    # The session's owner, copied at insert: the search index is keyed by it, so that a user's
    # search reads that user's matches only. (Sessions never change owner.)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    seq = models.BigIntegerField()
    # The tree (docs/branches.md): the utterance this one follows (null for a first one), and the
    # branch it was stored on (0 until a session is edited or regenerated).
    parent_seq = models.BigIntegerField(null=True, blank=True)
    branch = models.PositiveIntegerField(default=0, db_default=0)
    role = models.CharField(max_length=16, choices=Role.choices)
    text = models.TextField()
    is_final = models.BooleanField(default=True)
    # NULL, not "", when absent: the unique constraint below holds only for given ids.
    client_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(default=timezone.now)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            # The order of a session, and the keyset index of utterance_page and context_window_rebuild.
            models.UniqueConstraint(fields=["session", "seq"], name="utterance_session_seq_unique"),
            # Idempotent saves: a retried client_id is found, never stored twice.
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=Q(client_id__isnull=False),
                name="utterance_session_client_id_unique",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="utterance_role_valid"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="utterance_seq_positive"),
        ]
        indexes = [
            # The active branch of a branched session: one keyset scan per branch of its path
            # (history.pages.utterance_page, context.context_window_rebuild).
            models.Index(fields=["session", "branch", "seq"], name="utterance_branch_seq_idx"),
            # Siblings (utterances after the same parent) and a switch's descent to the newest leaf.
            models.Index(fields=["session", "parent_seq"], name="utterance_parent_idx"),
        ]
        # session_search_for_user, text matches: GIN index utterance_text_search_idx on
        # (user_id, search_vector), the generated column, both PostgreSQL only (migrations 0003 and
        # 0004; conversation/migration_operations.py says why they stay outside the model).

    def __str__(self) -> str:
        return f"{self.role} #{self.seq}"


class SessionTag(models.Model):
    """A chat tagged with one of its owner's tags."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="session_links")

    class Meta:
        constraints = [
            # A session's tags, and tagging twice found as done: WHERE session_id = ? (AND tag_id = ?).
            models.UniqueConstraint(fields=["session", "tag"], name="sessiontag_unique"),
        ]
        indexes = [
            # The tag filter (sidebar and search): WHERE tag_id = ?, the tagged sessions.
            models.Index(fields=["tag", "session"], name="sessiontag_tag_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.session_id}"


class SessionBranch(models.Model):
    """A branch of a session's tree, made by an edit or a regeneration: its utterances follow the
    utterance `fork_seq` (null: it starts at the root). `path` is the branch's way to the root, as
    Session.branch_path: [[branch, last seq on it], ...] of the branches it hangs from."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="branches")
    number = models.PositiveIntegerField()
    fork_seq = models.BigIntegerField(null=True, blank=True)
    path = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="sessionbranch_number_unique")]

    def __str__(self) -> str:
        return f"branch {self.number} of {self.session_id}"


class ReplyInFlight(models.Model):
    """The one reply being written in a session, claimed before its user message is stored.

    One row per session at most (the primary key), so a second message while a reply is being
    written is refused, on every door and every process, whatever Redis is doing. The row names the
    message it answers (its client_id): a retry of that message joins the reply instead. It is
    removed when the reply is stored; `expires_at` frees a session whose process died mid-reply.
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="+")
    client_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "reply in flight"
        verbose_name_plural = "replies in flight"

    def __str__(self) -> str:
        return f"reply to {self.client_id} in {self.session_id}"


class SocketLease(models.Model):
    """One open chat socket, so that a user's open sockets are counted across processes.

    Removed when the socket closes; `expires_at`, pushed forward by its process's heartbeat
    (conversation/socket_heartbeat.py), frees the lease of a process that died with the socket open.
    """

    channel_name = models.CharField(max_length=200, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    process = models.CharField(max_length=64, default="")  # the process holding the socket open

    class Meta:
        indexes = [
            # socket_lease_acquire: WHERE user_id = ? AND expires_at >= now (the count) or < now (the sweep).
            models.Index(fields=["user", "expires_at"], name="socketlease_user_expires_idx"),
            # socket_leases_heartbeat: WHERE process = ?
            models.Index(fields=["process"], name="socketlease_process_idx"),
        ]

    def __str__(self) -> str:
        return self.channel_name


class RetiredSessionId(models.Model):
    """The id of a session removed for good, and whose it was: an id that once named a session is
    never given to another user (history.save.conversation_save refuses it), so nothing keyed by a
    session id, in the cache or in a client's memory, can reach another owner's data.

    The owner is a plain id, not a foreign key: the row outlives the account, as SessionAudit does.
    Looked up by its primary key only (the save of a client-chosen id).
    """

    session_id = models.UUIDField(primary_key=True)
    owner_id = models.BigIntegerField()
    retired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "retired session id"

    def __str__(self) -> str:
        return str(self.session_id)


class SessionAudit(models.Model):
    """One removal of a session, or its return from the trash: who, whose, which, how big, when.

    Never any text. The owner, actor and session are plain ids, not foreign keys: the row outlives
    the session it records and the account of whoever acted.
    """

    class Action(models.TextChoices):
        TRASH = "trash", "Moved to the trash"
        RESTORE = "restore", "Restored from the trash"
        PURGE = "purge", "Removed for good"

    class Cause(models.TextChoices):
        USER = "user", "The owner (page or API)"
        EXPIRY = "expiry", "Expiry (expire_sessions)"
        ADMIN = "admin", "Staff, in the admin"
        ERASURE = "erasure", "Account erasure"

    action = models.CharField(max_length=16, choices=Action.choices)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="The user who acted; empty for expiry.")
    owner_id = models.BigIntegerField()
    session_id = models.UUIDField()
    utterance_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "session removal"
        indexes = [
            # The admin's list of one owner's removals, newest first: WHERE owner_id = ? ORDER BY created_at DESC.
            models.Index(fields=["owner_id", "-created_at"], name="sessionaudit_owner_idx"),
            # What became of one session: WHERE session_id = ?.
            models.Index(fields=["session_id"], name="sessionaudit_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.session_id}"


class ImportedConversation(models.Model):
    """Where an imported session came from: one conversation of one source, once per user. A second
    import of it finds the session here and adds only what is new (imports.writer.conversation_import)."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, primary_key=True, related_name="origin")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20)
    source_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            # conversation_import's look-up: WHERE user_id = ? AND source = ? AND source_id = ?.
            models.UniqueConstraint(fields=["user", "source", "source_id"], name="importedconversation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"

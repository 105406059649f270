"""Sessions, their utterances and branches."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from conversation.models.organize import Folder
from conversation.models.personas import Persona, Role

# Full-text search configuration. The GIN indexes of migration 0001 are built on
# to_tsvector(SEARCH_CONFIG, ...) and the search selector must query the same expression.
SEARCH_CONFIG = "english"


class TitleSource(models.TextChoices):
    AUTO = "auto", "Its first message"
    MODEL = "model", "The model"
    USER = "user", "Its owner"


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


class Session(models.Model):
    """A conversation. Counters are maintained by the history and branch services in the writing transaction."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField(max_length=200, blank=True, default="")
    # Who named it: its first message (auto), the model after its first reply (model), or a person
    # (user: a rename, or a title given at its creation). A model's title never replaces a person's.
    title_source = models.CharField(
        max_length=8, choices=TitleSource.choices, default=TitleSource.AUTO, db_default=TitleSource.AUTO
    )
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
    # The text's tokens as conversation/tokens.py counts them, at its insert; null for utterances
    # stored before tokens were counted (the window's rebuild estimates them from their length).
    tokens = models.PositiveIntegerField(null=True, blank=True)

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

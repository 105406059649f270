"""Records that outlive what they are about: retired ids, removals, where an import came from."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from conversation.models.sessions import Session


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

from django.conf import settings
from django.db import models

from chatproject.jobs.models import Job


class ConversationImport(Job):
    """One uploaded file of conversations, imported by a background job (imports.tasks). The file
    waits in the "imports" storage until the job has read it; progress and the summary live here,
    one report row per conversation in ConversationImportRow."""

    stall_setting = "IMPORT_STALL_SECONDS"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports")
    # The format asked for ("" to detect it), then the one found.
    format = models.CharField(max_length=20, blank=True)
    file_name = models.CharField(max_length=255, blank=True)  # as uploaded, for the page
    file = models.CharField(max_length=200, blank=True)  # its name in the "imports" storage, until read
    size = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)  # of the file, read so far
    conversations_total = models.PositiveIntegerField(null=True, blank=True)
    conversations_done = models.PositiveIntegerField(default=0)
    utterances = models.PositiveBigIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)  # new sessions, and grown ones ("updated")
    present = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped_turns = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [
            # conversation_import_list_for_user: WHERE user_id = ? ORDER BY created_at DESC, id DESC.
            models.Index(fields=["user", "-created_at", "-id"], name="conversationimport_user_idx"),
        ]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class ConversationImportRow(models.Model):
    """What became of one conversation of an import: its line of the report."""

    class Result(models.TextChoices):
        IMPORTED = "imported"
        PRESENT = "present"
        UPDATED = "updated"
        FAILED = "failed"

    conversation_import = models.ForeignKey(ConversationImport, on_delete=models.CASCADE, related_name="rows")
    position = models.PositiveIntegerField()  # its place in the file, from 1
    source_id = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    session_id = models.UUIDField(null=True, blank=True)  # not a key: the session may be deleted since
    utterances = models.PositiveIntegerField(default=0)  # how many this import stored
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            # The report's keyset order (conversation_import_rows): WHERE conversation_import_id = ?
            # AND position > ? ORDER BY position.
            models.UniqueConstraint(fields=["conversation_import", "position"], name="importrow_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.result}"

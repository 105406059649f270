"""A user's folders and tags, and a chat's tags."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from conversation.models.personas import Persona


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


class SessionTag(models.Model):
    """A chat tagged with one of its owner's tags."""

    session = models.ForeignKey("conversation.Session", on_delete=models.CASCADE, related_name="tag_links")
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

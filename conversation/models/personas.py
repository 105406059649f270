"""A persona (an assistant's system prompt and budget) and the roles of a message."""

from django.db import models
from django.db.models import Q


class Persona(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    system_prompt = models.TextField()
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    # The model's context for this persona's chats, in tokens; empty: settings.CONTEXT_MAX_TOKENS.
    # A reply's prompt fits in it minus settings.ASSISTANT_MAX_TOKENS (conversation/prompt.py).
    context_max_tokens = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The model's context in tokens for this persona's chats; empty: the site's CONTEXT_MAX_TOKENS.",
    )

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

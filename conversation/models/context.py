"""What a reply's context is made of beyond its messages: the summaries of what fell out of the
window (docs/context.md), and the tokens a user's replies used, a day at a time."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ContextSummary(models.Model):
    """The summary of a branch's messages up to one point: every final message on the path from the
    root to the utterance `seq` (on branch `branch`), what it summarizes through. It belongs to that point, so a branch
    that forks after it shares it, and one that forks before it never sees it.

    Made in the background from the previous summary on the path and the messages dropped since
    (conversation/summaries/); the owner may rewrite `text` (`edited_at`), and the edit holds until a
    newer summary, made from it, covers later messages."""

    session = models.ForeignKey("conversation.Session", on_delete=models.CASCADE, related_name="summaries")
    branch = models.PositiveIntegerField(default=0)
    seq = models.BigIntegerField()
    text = models.TextField()
    tokens = models.PositiveIntegerField()
    messages = models.PositiveIntegerField(help_text="How many messages of the branch it covers.")
    made_by = models.CharField(max_length=100, help_text="The backend and model that wrote it.")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "context summary"
        verbose_name_plural = "context summaries"
        constraints = [
            # The newest summary on a session's active path (summaries.selectors.summary_for_path):
            # WHERE session_id = ? AND <(branch, seq) on the path> ORDER BY seq DESC (branches.paths.
            # path_rows), a backward scan of this index; and one summary per point.
            models.UniqueConstraint(fields=["session", "seq"], name="contextsummary_point_unique"),
        ]

    def __str__(self) -> str:
        return f"summary of {self.session_id} through {self.seq}"


class TokenUsageDay(models.Model):
    """The tokens one user's model calls used on one day (the server's time zone): replies,
    summaries and titles. Kept exact by the write that stores each call's usage, in its transaction,
    so the account page's chart and `GET /api/stats/` read at most 30 rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    # Of those calls, how many the model server reported no usage for (their tokens are our count).
    estimated_calls = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "token usage of a day"
        verbose_name_plural = "token usage by day"
        constraints = [
            # The series of the last 30 days: WHERE user_id = ? AND day >= ? ORDER BY day; and the
            # upsert of a call's usage: ON CONFLICT (user_id, day).
            models.UniqueConstraint(fields=["user", "day"], name="tokenusageday_user_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}"

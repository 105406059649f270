"""Reading usage (docs/context.md): a user's tokens a day over the last days, zero-filled, and the
stats the API and the account page show (the sessions' totals and that series)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import User
from conversation.models import TokenUsageDay
from conversation.sessions.lists import SessionStats, session_stats_for_user

# How many days the series holds: today and the 29 before it.
USAGE_DAYS = 30


@dataclass(frozen=True)
class UsageDay:
    day: date
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class UsageSeries:
    days: list[UsageDay]  # oldest first, one a day, days without calls as zeros

    @property
    def total_prompt_tokens(self) -> int:
        return sum(d.prompt_tokens for d in self.days)

    @property
    def total_completion_tokens(self) -> int:
        return sum(d.completion_tokens for d in self.days)

    @property
    def total_tokens(self) -> int:
        return self.total_prompt_tokens + self.total_completion_tokens


@dataclass(frozen=True)
class UserStats:
    sessions: SessionStats
    tokens: UsageSeries


def usage_days_for_user(*, user: User, days: int = USAGE_DAYS, today: date | None = None) -> UsageSeries:
    """The user's tokens on each of the last `days` days up to today (the server's time zone), oldest
    first, a day without calls as zeros. One query, a range of the (user, day) unique index."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = {
        row.day: row
        for row in TokenUsageDay.objects.filter(user=user, day__gte=first, day__lte=today).only(
            "day", "prompt_tokens", "completion_tokens", "calls", "estimated_calls"
        )
    }
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = rows.get(day)
        series.append(
            UsageDay(
                day=day,
                prompt_tokens=row.prompt_tokens,
                completion_tokens=row.completion_tokens,
                calls=row.calls,
                estimated_calls=row.estimated_calls,
            )
            if row is not None
            else UsageDay(day=day)
        )
    return UsageSeries(days=series)


def stats_for_user(*, user: User) -> UserStats:
    """What `GET /api/stats/` and the account page show: the sessions' totals (one query) and the
    tokens of the last 30 days (one query)."""
    return UserStats(sessions=session_stats_for_user(user=user), tokens=usage_days_for_user(user=user))

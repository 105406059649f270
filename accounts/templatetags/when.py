from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter(name="ago")
def ago(moment: datetime | None) -> str:
    """How long ago a moment was, as a person says it: "never" for none, "just now" under a
    minute (timesince alone says "0 minutes"), else "3 hours ago"."""
    if moment is None:
        return "never"
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"

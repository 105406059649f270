"""How the product writes a moment, on every door: the API's JSON and the live events alike."""

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone


def iso_datetime(value: datetime | None, zone: tzinfo | None = None) -> str | None:
    """DRF's DateTimeField output: ISO 8601 in `zone` (by default the current time zone), "Z" for UTC.

    Callers that write many pass the zone they read once: reading the current one (a context-local
    look-up) for every timestamp of a page cost more than formatting them."""
    if value is None:
        return None
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_datetimes(value: Any) -> Any:
    """`value` (a dict, list or plain value) with every datetime in it written by iso_datetime."""
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, dict):
        return {key: iso_datetimes(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [iso_datetimes(item) for item in value]
    return value

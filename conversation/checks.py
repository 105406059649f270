"""System checks of the conversation settings: a deployment's configuration the columns cannot hold
fails at start, not as a 500 on the first long title."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.models)
def title_limit_fits_the_column(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from conversation.models import Session

    column = Session._meta.get_field("title").max_length
    if 1 <= settings.MAX_TITLE_CHARS <= column:
        return []
    return [
        checks.Error(
            f"MAX_TITLE_CHARS is {settings.MAX_TITLE_CHARS}; it must be from 1 to {column}, "
            "the length of a session's title column.",
            id="conversation.E001",
        )
    ]


@checks.register(checks.Tags.models)
def preview_limit_fits_the_column(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from conversation.models import Session

    column = Session._meta.get_field("preview").max_length
    if 2 <= settings.SESSION_PREVIEW_CHARS <= column:
        return []
    return [
        checks.Error(
            f"SESSION_PREVIEW_CHARS is {settings.SESSION_PREVIEW_CHARS}; it must be from 2 to {column}, "
            "the length of a session's preview column.",
            id="conversation.E002",
        )
    ]

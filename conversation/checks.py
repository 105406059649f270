"""System checks of the conversation settings: a deployment's configuration the columns cannot hold
fails at start, not as a 500 on the first long title."""

from django.conf import settings
from django.core import checks


def _limit_fits(setting: str, column: str, *, least: int, error_id: str) -> list[checks.CheckMessage]:
    from conversation.models import Session

    value, most = getattr(settings, setting), Session._meta.get_field(column).max_length
    if least <= value <= most:
        return []
    message = f"{setting} is {value}; it must be from {least} to {most}, the length of a session's {column} column."
    return [checks.Error(message, id=error_id)]


@checks.register(checks.Tags.models)
def title_limit_fits_the_column(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return _limit_fits("MAX_TITLE_CHARS", "title", least=1, error_id="conversation.E001")


@checks.register(checks.Tags.models)
def preview_limit_fits_the_column(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return _limit_fits("SESSION_PREVIEW_CHARS", "preview", least=2, error_id="conversation.E002")


@checks.register()
def context_leaves_room_for_a_prompt(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from conversation.prompt import MIN_PROMPT_TOKENS

    room = settings.CONTEXT_MAX_TOKENS - settings.ASSISTANT_MAX_TOKENS
    errors = []
    if settings.ASSISTANT_MAX_TOKENS < 1 or room < MIN_PROMPT_TOKENS:
        errors.append(
            checks.Error(
                f"CONTEXT_MAX_TOKENS ({settings.CONTEXT_MAX_TOKENS}) minus ASSISTANT_MAX_TOKENS "
                f"({settings.ASSISTANT_MAX_TOKENS}) leaves {room} tokens for a prompt; it must leave at least "
                f"{MIN_PROMPT_TOKENS}, and ASSISTANT_MAX_TOKENS must be at least 1.",
                id="conversation.E003",
            )
        )
    if settings.SUMMARY_MAX_TOKENS < 1 or room // 2 < settings.SUMMARY_MAX_TOKENS:
        # A warning, not an error: the workers must still start. A summary too long for a prompt is
        # cut to fit it (prompt.py), at the cost of the newest messages' room.
        errors.append(
            checks.Warning(
                f"SUMMARY_MAX_TOKENS is {settings.SUMMARY_MAX_TOKENS}; it should be from 1 to half the prompt's "
                f"room ({room // 2}), so that a summary leaves room for the newest messages.",
                id="conversation.W001",
            )
        )
    return errors

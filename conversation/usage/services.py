"""Recording a model call's tokens into the user's day (TokenUsageDay): replies, summaries, titles.

One statement on both runtimes (PostgreSQL and SQLite 3.24+ share the upsert): an INSERT that, when
the user's row of the day exists, adds to it instead. The row's lock is held to the end of the
caller's transaction, so two replies at once add both their figures, never one over the other."""

from datetime import date

from django.utils import timezone

from accounts.models import User
from chatproject.fixed_sql import FixedStatement
from conversation import tokens
from conversation.assistant import Completion
from conversation.models import TokenUsageDay, Utterance

_ADDED = ("prompt_tokens", "completion_tokens", "calls", "estimated_calls")


def _upsert_sql(quote) -> str:
    table, column = quote(TokenUsageDay._meta.db_table), TokenUsageDay._meta.get_field
    user, day = quote(column("user").column), quote(column("day").column)
    added = [quote(column(name).column) for name in _ADDED]
    return (
        f"INSERT INTO {table} ({user}, {day}, {', '.join(added)})"  # noqa: S608 - names from the models
        f" VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ({user}, {day}) DO UPDATE SET "
        + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in added)
    )


_UPSERT = FixedStatement(sql=_upsert_sql, columns=lambda: [])


def usage_record(
    *, user_id: int, prompt_tokens: int, completion_tokens: int, estimated: bool, day: date | None = None
) -> None:
    """Adds one model call's tokens to the user's day (today in the server's time zone unless
    `day`): its prompt and completion tokens, one call, and one estimated call when the server
    reported no usage (the figures are our count). Call it in the transaction that stores what the
    call made (a reply, a summary, a title), so the day's figures and the record agree."""
    _UPSERT.run(
        [
            user_id,
            day or timezone.localdate(),
            max(0, int(prompt_tokens)),
            max(0, int(completion_tokens)),
            1,
            1 if estimated else 0,
        ]
    )


def usage_record_reply(*, user: User, reply: Utterance) -> None:
    """A stored reply's usage (its metadata, conversation/replies/usage.py) added to the user's day.
    A reply that ended in an error before the model wrote a word (its text is the error) is counted
    only when the server reported usage for it: an estimate would count a prompt the server may
    never have read (a refused request, an unreachable server) and the error's own words."""
    metadata = reply.metadata or {}
    prompt_tokens, completion_tokens = metadata.get("prompt_tokens"), metadata.get("completion_tokens")
    if not isinstance(prompt_tokens, int) or not isinstance(completion_tokens, int):
        return  # a reply stored without usage (saved by a client, imported)
    estimated = metadata.get("usage") != "reported"
    if estimated and metadata.get("error") and reply.text == metadata["error"]:
        return
    usage_record(user_id=user.pk, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, estimated=estimated)


def usage_record_completion(*, user_id: int, completion: Completion, messages: list[dict]) -> None:
    """Record a background call's usage (a summary, a title): as the server reported it, or, when it
    did not, as we count its prompt `messages` and its answer (corrected as a reply's are)."""
    reported = completion.usage
    if reported is not None:
        prompt, answer = reported.prompt_tokens, reported.completion_tokens
        if isinstance(prompt, int) and isinstance(answer, int) and prompt >= 0 and answer >= 0:
            usage_record(user_id=user_id, prompt_tokens=prompt, completion_tokens=answer, estimated=False)
            return
    counted = tokens.PROMPT_OVERHEAD_TOKENS + sum(
        tokens.message_tokens(tokens.text_tokens(message["content"])) for message in messages
    )
    correction = tokens.tokens_correction(model=completion.model, user_id=user_id)
    usage_record(
        user_id=user_id,
        prompt_tokens=round(counted * correction),
        completion_tokens=tokens.text_tokens(completion.text),
        estimated=True,
    )

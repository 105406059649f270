"""A reply's prompt fitted to its token budget (docs/context.md): the system message (the system
prompt, then the branch's summary), and as many of the window's newest messages as fit in the
persona's context (CONTEXT_MAX_TOKENS, or its own) minus ASSISTANT_MAX_TOKENS. The summary is made
ahead (summaries/services.py), so its last part may repeat the oldest messages in the prompt: those
stay in while they fit, and nothing falls between the two.

Never over the budget. The message being answered is always in; when it alone is larger than what
is left, it is cut with a visible marker, in the prompt only (the stored message stays whole); a
system prompt and a summary that would leave it too little room are cut first, in that order the
summary, then the system prompt.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from conversation import tokens
from conversation.context import default_budget
from conversation.models import ContextSummary, Persona

# The least room a prompt may have: a persona's context must leave this much beyond the reply's share.
MIN_PROMPT_TOKENS = 256
SUMMARY_HEADING = "Earlier in this chat (a summary, which may overlap the oldest messages below):"
CUT_MARKER = "\n\n[… cut here: this message is longer than the model's context; only its beginning is shown …]"
_MARKER_TOKENS = 22  # tokens.text_tokens(CUT_MARKER), checked by a test


@dataclass(frozen=True)
class Prompt:
    messages: list[dict]  # {role, content}, as the model gets them
    tokens: int  # the prompt's tokens as counted, times the correction: what the model should count
    counted: int  # as counted, before the correction
    correction: float  # what the count is multiplied by for the model (tokens.tokens_correction)
    budget: int  # the most the prompt may be: the context minus the reply's share
    context_max_tokens: int
    exact: bool  # counted with the model's own tokenizer (else an estimate, corrected)
    summary: ContextSummary | None  # the summary in the prompt, if any
    included: list[dict]  # the window's messages in it, {role, text, seq, tokens} (text as sent), oldest first
    system_tokens: int  # each part's tokens as counted, with its message overhead
    summary_tokens: int
    messages_tokens: int
    cut: bool  # a message (or the summary, or the system prompt) was cut to fit

    @property
    def first_seq(self) -> int | None:
        """The oldest message of the window in the prompt: what came before it is summarized or left out."""
        return self.included[0]["seq"] if self.included else None

    @property
    def covered(self) -> int:
        """The messages in the prompt that its summary covers too: how far the window may still
        slide before a message falls out that no summary holds."""
        if self.summary is None:
            return 0
        return sum(1 for m in self.included if m["seq"] <= self.summary.seq)


def context_max_tokens_check(value: int | None) -> None:
    """ValidationError for a persona's context that leaves a prompt less than MIN_PROMPT_TOKENS."""
    least = settings.ASSISTANT_MAX_TOKENS + MIN_PROMPT_TOKENS
    if value is not None and value < least:
        raise ValidationError(
            f"A context of {value} tokens leaves too little for a prompt: ASSISTANT_MAX_TOKENS "
            f"({settings.ASSISTANT_MAX_TOKENS}) is kept for the reply. Give at least {least}, or leave it empty."
        )


def context_max_tokens(persona: Persona) -> int:
    return persona.context_max_tokens or settings.CONTEXT_MAX_TOKENS


def prompt_budget(persona: Persona) -> int:
    """The most tokens a prompt of `persona`'s may hold: its context minus the reply's share."""
    if persona.context_max_tokens is None:
        return default_budget()
    return max(persona.context_max_tokens - settings.ASSISTANT_MAX_TOKENS, 0)


def prompt_build(
    *,
    persona: Persona,
    system_prompt: str,
    summary: ContextSummary | None,
    window: list[dict],
    model: str,
    user_id: int,
) -> Prompt:
    """The prompt of a reply to the window's last message. `window`: {role, text, seq, tokens}, oldest
    first (context.context_window_get); `summary`: the newest on the branch, which covers the
    window's messages up to its seq (those are left out)."""
    correction = tokens.tokens_correction(model=model, user_id=user_id)
    budget = prompt_budget(persona)
    # In our count's units: what the model's tokens allow, divided by the correction.
    room = int(budget / correction) - tokens.PROMPT_OVERHEAD_TOKENS
    cut = False

    system_cost = tokens.message_tokens(tokens.text_tokens(system_prompt))
    # The summary goes in the system message, after the system prompt: chat templates that take one
    # system message only, at the start (Mistral's), would refuse a second.
    join = "\n\n" if system_prompt else ""
    summary_text = f"{SUMMARY_HEADING}\n{summary.text}" if summary is not None else ""
    summary_cost = tokens.text_tokens(join + summary_text) if summary_text else 0
    newest = window[-1] if window else None
    newest_cost = tokens.message_tokens(newest["tokens"]) if newest else 0
    # The message answered keeps at least a quarter of the room (and room for some of its words
    # with the marker), whatever the rest.
    newest_floor = min(newest_cost, max(room // 4, _MARKER_TOKENS + tokens.MESSAGE_OVERHEAD_TOKENS + 32))
    if system_cost + summary_cost + newest_floor > room and summary_text:
        summary_text = _cut(summary_text, room - system_cost - newest_floor, overhead=tokens.text_tokens(join))
        summary_cost = tokens.text_tokens(join + summary_text) if summary_text else 0
        cut = True
    if system_cost + summary_cost + newest_floor > room:
        system_prompt = _cut(system_prompt, room - summary_cost - newest_floor)
        system_cost = tokens.message_tokens(tokens.text_tokens(system_prompt))
        cut = True

    left = room - system_cost - summary_cost
    chosen: list[dict] = []
    for message in reversed(window):
        cost = tokens.message_tokens(message["tokens"])
        if cost <= left:
            chosen.append(message)
            left -= cost
            continue
        if not chosen:  # the message answered, too long for what is left: its beginning, marked
            text = _cut(message["text"], left)
            chosen.append({**message, "text": text, "tokens": tokens.text_tokens(text)})
            left -= tokens.message_tokens(chosen[-1]["tokens"])
            cut = True
        break
    chosen.reverse()

    system_content = system_prompt + (join + summary_text if summary_text else "")
    system_message_cost = tokens.message_tokens(tokens.text_tokens(system_content))
    # Joined, two texts may count a token or two more than apart: the oldest message goes for them.
    while chosen[1:] and system_message_cost + _messages_cost(chosen) > room:
        chosen.pop(0)
    counted = system_message_cost + _messages_cost(chosen) + tokens.PROMPT_OVERHEAD_TOKENS
    messages = [{"role": "system", "content": system_content}]
    messages += [{"role": m["role"], "content": m["text"]} for m in chosen]
    return Prompt(
        messages=messages,
        tokens=round(counted * correction),
        counted=counted,
        correction=correction,
        budget=budget,
        context_max_tokens=context_max_tokens(persona),
        exact=tokens.counting_is_exact(model),
        summary=summary if summary_text else None,
        included=chosen,
        system_tokens=system_message_cost - summary_cost if summary_text else system_message_cost,
        summary_tokens=summary_cost,
        messages_tokens=_messages_cost(chosen),
        cut=cut,
    )


def _messages_cost(messages: list[dict]) -> int:
    return sum(tokens.message_tokens(m["tokens"]) for m in messages)


def _cut(text: str, max_tokens: int, *, overhead: int = tokens.MESSAGE_OVERHEAD_TOKENS) -> str:
    """`text` cut to fit `max_tokens` tokens with `overhead` (a message's, by default), marker
    included; "" when nothing fits. Remembered: a chat whose newest message is huge has it cut
    again by every read of its context (GET .../context/, the gauge) and by every reply."""
    return _cut_remembered(text, max_tokens, overhead)


@functools.lru_cache(maxsize=64)
def _cut_remembered(text: str, max_tokens: int, overhead: int) -> str:
    room = max_tokens - overhead - _MARKER_TOKENS
    if room <= 0:
        return ""
    kept = tokens.text_cut_to_tokens(text, room)
    if kept == text:
        return text
    # Joined, two texts may count a token more than apart: rare, and checked.
    while kept and tokens.text_tokens(kept + CUT_MARKER) + overhead > max_tokens:
        kept = kept[:-1]
    return kept + CUT_MARKER if kept else ""

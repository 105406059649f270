"""A reply's usage as stored in its metadata (docs/context.md): its prompt and completion tokens,
as the model server reported them or, when it did not, as we count them (`usage: "estimated"`),
and what its prompt held; a server's report also teaches tokens.py its correction for the model."""

from dataclasses import dataclass

from conversation import tokens
from conversation.assistant import Usage
from conversation.prompt import Prompt


@dataclass(frozen=True)
class ReplyUsageOf:
    """What a reply's usage is worked out from: its prompt, the server's report (None: none), the model."""

    prompt: Prompt
    reported: Usage | None
    model: str
    user_id: int


def reply_usage(*, usage_of: ReplyUsageOf, text: str) -> dict:
    """The metadata keys of the usage of a reply of `text`."""
    prompt, reported, model = usage_of.prompt, usage_of.reported, usage_of.model
    prompt_reported = reported.prompt_tokens if reported is not None else None
    completion_reported = reported.completion_tokens if reported is not None else None
    if isinstance(prompt_reported, int) and prompt_reported > 0:
        tokens.tokens_correction_learn(
            model=model, user_id=usage_of.user_id, counted=prompt.counted, reported=prompt_reported
        )
    both = all(isinstance(n, int) and n >= 0 for n in (prompt_reported, completion_reported))
    return {
        "prompt_tokens": prompt_reported if both else prompt.tokens,
        "completion_tokens": completion_reported if both else tokens.text_tokens(text),
        "usage": "reported" if both else "estimated",
        "context": {
            "tokens": prompt.tokens,
            "budget": prompt.budget,
            "max": prompt.context_max_tokens,
            "exact": prompt.exact,
            "summary_seq": prompt.summary.seq if prompt.summary is not None else None,
            "summary_messages": prompt.summary.messages if prompt.summary is not None else 0,
            "covered": prompt.covered,
            "first_seq": prompt.first_seq,
            "messages": len(prompt.included),
            "cut": prompt.cut,
        },
    }

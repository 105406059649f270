"""The context-window cache: each active session's newest final utterances of the active branch,
as many as fill a token budget (the persona's prompt budget, conversation/prompt.py) and never more
than CONTEXT_WINDOW_SIZE. Each message carries its tokens, so that a reply's prompt is fitted to the
budget (prompt.prompt_build) with no count made on a hit. The window holds the fewest newest messages
whose cost (tokens.message_tokens) reaches the budget, or all of the branch when it has fewer.

Keys are immutable: ``ctx:{user_id}:{session_id}:{context_epoch}:{last_seq}`` holds the window of
exactly that state, written once; the owner in the key keeps a window unreadable by any other account,
whatever becomes of the id. The session row (read anyway for ownership) names the key, so a reader never
gets a window of another state: not one missing a committed utterance (last_seq names it), nor one
holding cleared utterances (a clear bumps the epoch), and windows are stored in seq order.

- A hit slides the TTL (one Redis GETEX). The value names the budget it was built for; one built for
  another budget (the persona or its context changed) is a miss, rebuilt and stored over it.
- A miss rebuilds from the database with one query that reads the session's state and its window
  in the same snapshot, and stores it under that state's key.
- An append, after its transaction commits, writes the next key from the previous window plus the
  new rows (the previous key is dropped); when the previous window is not cached, nothing is
  written and the next read rebuilds. On Redis this is one script, run in Redis (_EXTEND_SCRIPT),
  which the append sends in the same round trip as its live events (context_window_extend).
- Redis down or slow (REDIS_SOCKET_TIMEOUT_SECONDS): a warning is logged and the window comes from
  the database; nothing fails.
"""

import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis import RedisError

from chatproject import live
from chatproject.fixed_sql import FixedStatement
from chatproject.redis_clients import cache_redis, layer_on_cache_redis
from conversation import tokens
from conversation.models import Session, Utterance
from conversation.sessions.lookup import session_db_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContextWindow:
    messages: list[dict]  # {role, text, seq, tokens}, oldest first
    epoch: int
    last_seq: int  # the session state this window is of
    cached: bool  # served from the cache


def context_key(*, user_id: int, session_id: uuid.UUID, epoch: int, last_seq: int) -> str:
    return f"ctx:{user_id}:{session_id}:{epoch}:{last_seq}"


def _cache_get_sliding(key: str) -> dict | None:
    ttl = settings.CONTEXT_TTL_SECONDS
    redis = cache_redis()
    if redis is not None:
        raw = redis.getex(cache.make_key(key), ex=ttl)
        value = json.loads(raw) if raw is not None else None
    else:
        value = cache.get(key)
        if value is not None:
            cache.touch(key, ttl)
            value = json.loads(value)
    return value if isinstance(value, dict) else None  # a list: a window of before token budgets


def _cache_put(key: str, value: dict, *, replaces: str | None = None, overwrite: bool = False) -> None:
    ttl = settings.CONTEXT_TTL_SECONDS
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    redis = cache_redis()
    if redis is not None:
        pipe = redis.pipeline(transaction=False)
        pipe.set(cache.make_key(key), text, ex=ttl, nx=not overwrite)
        if replaces:
            pipe.delete(cache.make_key(replaces))
        pipe.execute()
        return
    if overwrite:
        cache.set(key, text, ttl)
    else:
        cache.add(key, text, ttl)
    if replaces:
        cache.delete(replaces)


def _message_cost_sql(u: str) -> str:
    # A message stored before tokens were counted is estimated low here (the walk reads a little
    # more than it needs) and counted exactly in Python, which trims the window (_trim).
    return (
        f"CASE WHEN {u}.is_final THEN COALESCE({u}.tokens, LENGTH({u}.text) / 10) "
        f"+ {tokens.MESSAGE_OVERHEAD_TOKENS} ELSE 0 END"
    )


def _window_sql(quote) -> str:
    session, utterance = quote(Session._meta.db_table), quote(Utterance._meta.db_table)
    return f"""
        WITH RECURSIVE way(seq, parent_seq, role, text, tokens, is_final, finals, total) AS (
            SELECT u.seq, u.parent_seq, u.role, u.text, u.tokens, u.is_final,
                   CASE WHEN u.is_final THEN 1 ELSE 0 END, {_message_cost_sql("u")}
            FROM {session} s JOIN {utterance} u ON u.session_id = s.id AND u.seq = s.head_seq
            WHERE s.id = %s
            UNION ALL
            SELECT u.seq, u.parent_seq, u.role, u.text, u.tokens, u.is_final,
                   w.finals + CASE WHEN u.is_final THEN 1 ELSE 0 END, w.total + {_message_cost_sql("u")}
            FROM way w JOIN {utterance} u ON u.session_id = %s AND u.seq = w.parent_seq
            WHERE w.finals < %s AND w.total < %s
        )
        SELECT s.context_epoch, s.last_seq, w.role, w.text, w.seq, w.tokens
        FROM {session} s LEFT JOIN way w ON w.is_final
        WHERE s.id = %s
        ORDER BY w.seq
    """  # noqa: S608 - table names are the models' own; values are parameters


def _window_columns() -> list:
    session, utterance = Session._meta.get_field, Utterance._meta.get_field
    return [("s", session("context_epoch")), ("s", session("last_seq"))] + [
        ("w", utterance(name)) for name in ("role", "text", "seq", "tokens")
    ]


# Fixed, so server-bound on PostgreSQL: one text whatever the session, so psycopg prepares it and
# the recursive plan is not made again for every rebuild.
_WINDOW = FixedStatement(sql=_window_sql, columns=_window_columns)


def _trim(messages: list[dict], *, budget: int) -> list[dict]:
    """The fewest newest `messages` whose cost reaches `budget` (all, when they cost less), at most
    CONTEXT_WINDOW_SIZE: the window's rule, which the rebuild and the extension both keep."""
    kept, total = 0, 0
    for message in reversed(messages):
        if kept >= settings.CONTEXT_WINDOW_SIZE or total >= budget:
            break
        kept += 1
        total += tokens.message_tokens(message["tokens"])
    return messages[len(messages) - kept :]


def default_budget() -> int:
    """The prompt budget of a persona of no context of its own (prompt.prompt_budget)."""
    return max(settings.CONTEXT_MAX_TOKENS - settings.ASSISTANT_MAX_TOKENS, 0)


def context_window_rebuild(*, session_id: uuid.UUID, budget: int | None = None) -> tuple[int, int, list[dict]] | None:
    """The window from the database: (epoch, last_seq, the newest final utterances of the active
    branch whose tokens reach `budget`, oldest first) of one snapshot; None when the session is gone.

    One statement, whatever the tree: it walks from the head up the parents (one probe of
    utterance_session_seq_unique a step) until it holds the window or reaches the root. The active
    branch is the head's way to the root, so a plain list and a session of hundreds of branches
    cost the same."""
    db_id = session_db_id(session_id)
    budget = default_budget() if budget is None else budget
    rows = _WINDOW.rows([db_id, db_id, settings.CONTEXT_WINDOW_SIZE, budget, db_id])
    if not rows:
        return None
    epoch, last_seq = rows[0][0], rows[0][1]
    messages = [
        {"role": role, "text": text, "seq": seq, "tokens": tokens.text_tokens(text) if count is None else count}
        for _, _, role, text, seq, count in rows
        if seq is not None
    ]
    return epoch, last_seq, _trim(messages, budget=budget)


def context_window_get(*, session: Session, budget: int | None = None) -> ContextWindow:
    """The window of `session` as read (its epoch and last_seq name the key), or a newer one, for a
    prompt of `budget` tokens (prompt.prompt_budget of its persona; by default the site's)."""
    if budget is None:
        budget = default_budget()
    key = context_key(
        user_id=session.user_id, session_id=session.pk, epoch=session.context_epoch, last_seq=session.last_seq
    )
    try:
        value = _cache_get_sliding(key)
    except Exception:
        logger.warning("context cache unreachable; reading session %s from the database", session.pk, exc_info=True)
        value = None
        cache_up = False
    else:
        cache_up = True
    if value is not None and value.get("b") == budget:
        return ContextWindow(messages=value["m"], epoch=session.context_epoch, last_seq=session.last_seq, cached=True)

    rebuilt = context_window_rebuild(session_id=session.pk, budget=budget)
    if rebuilt is None:
        raise Session.DoesNotExist("No such session.")
    epoch, last_seq, messages = rebuilt
    if cache_up:
        try:
            _cache_put(
                context_key(user_id=session.user_id, session_id=session.pk, epoch=epoch, last_seq=last_seq),
                {"b": budget, "m": messages},
                overwrite=value is not None,
            )
        except Exception:
            logger.warning("context cache unreachable; window of %s not stored", session.pk, exc_info=True)
    return ContextWindow(messages=messages, epoch=epoch, last_seq=last_seq, cached=False)


# KEYS: the window at previous_seq, the window at last_seq. ARGV: the new messages (a JSON array),
# the most messages, the TTL, the overhead of a message. What _trim does, in Redis, atomic, without
# a round trip per step. cjson writes an empty table as {}, hence the '[]'.
_EXTEND_SCRIPT = """
local previous = redis.call('GET', KEYS[1])
if not previous then return 0 end
local value = cjson.decode(previous)
if type(value) ~= 'table' or value['b'] == nil then return 0 end
local window = value['m']
if type(window) ~= 'table' or window[1] == nil then window = {} end
for _, message in ipairs(cjson.decode(ARGV[1])) do window[#window + 1] = message end
local most, overhead, budget = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(value['b'])
local first, total = #window + 1, 0
while first > 1 and #window - first + 1 < most and total < budget do
  first = first - 1
  total = total + window[first]['tokens'] + overhead
end
local kept = {}
for i = first, #window do kept[#kept + 1] = window[i] end
local encoded = #kept > 0 and cjson.encode(kept) or '[]'
redis.call('SET', KEYS[2], '{"b":' .. value['b'] .. ',"m":' .. encoded .. '}', 'EX', ARGV[3], 'NX')
redis.call('DEL', KEYS[1])
return 1
"""


def context_window_extend(
    *,
    user_id: int,
    session_id: uuid.UUID,
    epoch: int,
    previous_seq: int,
    last_seq: int,
    new: list[dict],
    live_events: list,
) -> None:
    """After an append commits: the window at last_seq is the one at previous_seq plus `new` (each
    with its tokens), trimmed to its budget; and the append's live events go out.

    When the cache and the channel layer are one Redis server, both travel in one round trip (the
    extension as a script run in Redis, the events as PUBLISH commands). Redis trouble costs the
    window (the next read rebuilds it) and the events, never the write.
    """
    previous_key = context_key(user_id=user_id, session_id=session_id, epoch=epoch, last_seq=previous_seq)
    next_key = context_key(user_id=user_id, session_id=session_id, epoch=epoch, last_seq=last_seq)
    redis = cache_redis()
    if redis is not None and layer_on_cache_redis():
        pipe = redis.pipeline(transaction=False)
        pipe.eval(*_extend_script_args(previous_key=previous_key, next_key=next_key, new=new))
        live.publish_now(live_events, pipe=pipe)
        try:
            pipe.execute()
        except RedisError:
            logger.warning("Redis unreachable; window of %s not extended, live events lost", session_id, exc_info=True)
        return
    try:
        if redis is not None:
            redis.eval(*_extend_script_args(previous_key=previous_key, next_key=next_key, new=new))
        else:
            previous = _cache_get_sliding(previous_key)
            if previous is not None:
                window = _trim(previous["m"] + new, budget=previous["b"])
                _cache_put(next_key, {"b": previous["b"], "m": window}, replaces=previous_key)
    except Exception:
        logger.warning("context cache unreachable; window of %s not extended", session_id, exc_info=True)
    live.publish_now(live_events)


def _extend_script_args(*, previous_key: str, next_key: str, new: list[dict]) -> tuple:
    return (
        _EXTEND_SCRIPT,
        2,
        cache.make_key(previous_key),
        cache.make_key(next_key),
        json.dumps(new, ensure_ascii=False, separators=(",", ":")),
        settings.CONTEXT_WINDOW_SIZE,
        settings.CONTEXT_TTL_SECONDS,
        tokens.MESSAGE_OVERHEAD_TOKENS,
    )


def context_windows_forget(*, states: Iterable[tuple[int, uuid.UUID, int, int]]) -> None:
    """Drop the current windows of cleared or deleted sessions, given (user_id, session_id, epoch, last_seq)."""
    keys = [context_key(user_id=uid, session_id=sid, epoch=epoch, last_seq=seq) for uid, sid, epoch, seq in states]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("context cache unreachable; %d windows left to expire", len(keys), exc_info=True)

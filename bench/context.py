"""Context-window benchmark: a cached window read beside a raw Redis GET + JSON decode of the same
value (target: at least 50% of the raw rate, p99 under 1 ms) and beside the database rebuild; and
the cost of the write-through on append (appends to a session whose window is cached, so each
one extends it, beside appends to one whose window is not, where the write-through is one miss).

Sessions of 20,000 messages (BENCH_CONTEXT_MESSAGES), as issue 33 measures them. The window holds
the newest messages that fill the prompt budget (6,144 tokens by default), so its size depends on
the messages': with the short messages of this bench (about 80 tokens) it holds about 70 of them,
with messages of about 380 tokens 16, about as many as the window of before token budgets (20).
Both are measured; the second is the like-for-like figure beside the window of 20 messages.
"""

import json
import os
import statistics
import uuid

from bench.harness import latency_ms, median_of_3, percentile, print_table, rate, setup_django

SESSION_MESSAGES = int(os.environ.get("BENCH_CONTEXT_MESSAGES", "20000"))
# How often a message of each shape repeats "message {n} ": about 80 and 380 tokens.
SHAPES = {"short messages": 20, "long messages": 100}
# The figures of today's window (20 messages, before token budgets), cached and rebuilt p50
# in ms, from another machine; BENCH_CONTEXT_TODAY_MS="cached,rebuilt" gives this machine's
# (docs/context.md, "Figures", has both).
TODAY_MS = tuple(float(x) for x in os.environ.get("BENCH_CONTEXT_TODAY_MS", "0.80,1.70").split(","))


def main() -> None:
    setup_django()
    rows = []
    for label, repeat in SHAPES.items():
        rows += _measure(label=label, repeat=repeat, appends=repeat == 20)
    print_table(
        f"Context-window benchmark ({SESSION_MESSAGES:,} messages a session; Redis, production settings)",
        ["operation", "figure", "beside", "ratio", "target", "met"],
        rows,
    )


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):.3f} / {percentile(samples, 95):.3f}"


def _measure(*, label: str, repeat: int, appends: bool) -> list[list[str]]:
    import redis
    from django.conf import settings
    from django.core.cache import cache

    from accounts.models import User
    from conversation.context import context_key, context_window_get, context_window_rebuild
    from conversation.history.append import utterances_append
    from conversation.inputs import UtteranceIn
    from conversation.models import Session
    from conversation.sessions.create import session_create

    user = User.objects.create_user(email=f"ctx-{uuid.uuid4().hex[:8]}@example.com")
    session = session_create(user=user)
    for start in range(0, SESSION_MESSAGES, 500):
        utterances_append(
            user=user,
            session_id=session.pk,
            utterances=[
                UtteranceIn(role="user" if n % 2 else "assistant", text=f"message {n} " * repeat)
                for n in range(start, min(SESSION_MESSAGES, start + 500))
            ],
        )
    session = Session.objects.get(pk=session.pk)
    window = context_window_get(session=session)
    assert not window.cached
    assert context_window_get(session=session).cached

    raw = redis.Redis.from_url(settings.REDIS_URL)
    raw_key = cache.make_key(
        context_key(
            user_id=session.user_id, session_id=session.pk, epoch=session.context_epoch, last_seq=session.last_seq
        )
    )

    def raw_read():
        return json.loads(raw.get(raw_key))

    def cached_read():
        return context_window_get(session=session).messages

    def db_rebuild():
        return context_window_rebuild(session_id=session.pk)

    in_window = len(window.messages)
    mean_tokens = statistics.mean(m["tokens"] for m in window.messages)
    ours = median_of_3(lambda: rate(cached_read))
    base = median_of_3(lambda: rate(raw_read))
    rebuild = median_of_3(lambda: rate(db_rebuild))
    samples = latency_ms(cached_read, repeat=5000)
    raw_samples = latency_ms(raw_read, repeat=5000)
    rebuild_samples = latency_ms(db_rebuild, repeat=2000)
    cached_p50, rebuilt_p50 = statistics.median(samples), statistics.median(rebuild_samples)
    rows = [
        [f"{label} (~{mean_tokens:.0f} tokens): window of {in_window}", "", "", "", "", ""],
        [
            "  cached window read",
            f"{ours:,.0f} reads/s",
            f"raw GET+decode {base:,.0f}/s",
            f"{ours / base:.2f}",
            ">= 0.50",
            "yes" if ours >= 0.5 * base else "NO",
        ],
        [
            "  cached read p50 / p95 / p99",
            f"{_ms(samples)} / {percentile(samples, 99):.3f} ms",
            f"raw GET+decode {_ms(raw_samples)} ms",
            f"{cached_p50 / statistics.median(raw_samples):.2f}",
            f"p99 < 1 ms; p50 <= {TODAY_MS[0]:.2f} ms",
            "yes" if percentile(samples, 99) < 1 and cached_p50 <= TODAY_MS[0] else "NO",
        ],
        [
            "  window rebuilt from the database p50 / p95",
            f"{_ms(rebuild_samples)} ms ({rebuild:,.0f}/s)",
            f"cached {_ms(samples)} ms",
            f"{rebuilt_p50 / cached_p50:.1f}x the cached",
            f"p50 <= {TODAY_MS[1]:.2f} ms",
            "yes" if rebuilt_p50 <= TODAY_MS[1] else "NO",
        ],
    ]
    if not appends:
        return rows

    def appender(*, warm: bool):
        target = session_create(user=user)
        utterances_append(user=user, session_id=target.pk, utterances=[UtteranceIn(role="user", text="x")])
        if warm:  # the window is cached, so every append extends it (GETEX, SET, DEL)
            context_window_get(session=Session.objects.get(pk=target.pk))

        def append():
            utterances_append(
                user=user, session_id=target.pk, utterances=[UtteranceIn(role="user", text="hello " * 10)]
            )

        return append

    with_cache = median_of_3(lambda: rate(appender(warm=True)))
    without_cache = median_of_3(lambda: rate(appender(warm=False)))
    rows.append(
        [
            "append with write-through",
            f"{with_cache:,.0f} tx/s",
            f"window not cached {without_cache:,.0f}/s",
            f"{with_cache / without_cache:.2f}",
            "(cost reported)",
            "",
        ]
    )
    return rows

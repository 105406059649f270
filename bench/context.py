"""Context-window benchmark: a cached window read beside a raw Redis GET + JSON decode of the same
value (target: at least 50% of the raw rate, p99 under 1 ms) and beside the database rebuild; and
the cost of the write-through on append (appends to a session whose window is cached, so each
one extends it, beside appends to one whose window is not, where the write-through is one miss)."""

import json
import statistics
import uuid

from bench.harness import latency_ms, median_of_3, percentile, print_table, rate, setup_django


def main() -> None:
    setup_django()
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
    utterances_append(
        user=user,
        session_id=session.pk,
        utterances=[UtteranceIn(role="user" if n % 2 else "assistant", text=f"message {n} " * 20) for n in range(200)],
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

    ours = median_of_3(lambda: rate(cached_read))
    base = median_of_3(lambda: rate(raw_read))
    rebuild = median_of_3(lambda: rate(db_rebuild))
    samples = latency_ms(cached_read, repeat=5000)
    raw_samples = latency_ms(raw_read, repeat=5000)

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

    print_table(
        "Context-window benchmark (Redis, production settings)",
        ["operation", "figure", "beside", "ratio", "target", "met"],
        [
            [
                "cached window read (20 messages)",
                f"{ours:,.0f} reads/s",
                f"raw GET+decode {base:,.0f}/s",
                f"{ours / base:.2f}",
                ">= 0.50",
                "yes" if ours >= 0.5 * base else "NO",
            ],
            [
                "cached read latency p50 / p99",
                f"{statistics.median(samples):.3f} / {percentile(samples, 99):.3f} ms",
                f"raw {statistics.median(raw_samples):.3f} / {percentile(raw_samples, 99):.3f} ms",
                "",
                "p99 < 1 ms",
                "yes" if percentile(samples, 99) < 1 else "NO",
            ],
            [
                "window rebuilt from the database",
                f"{rebuild:,.0f} reads/s",
                f"cached {ours:,.0f}/s",
                f"{ours / rebuild:.1f}x faster cached",
                "",
                "",
            ],
            [
                "append with write-through",
                f"{with_cache:,.0f} tx/s",
                f"window not cached {without_cache:,.0f}/s",
                f"{with_cache / without_cache:.2f}",
                "(cost reported)",
                "",
            ],
        ],
    )

"""Context-budget benchmark (issue 33): scripted chats through the real reply path against a fake
OpenAI-compatible server that counts every prompt with our tokenizer and records it.

- A 500-turn chat (BENCH_BUDGET_TURNS) with summaries on (SUMMARY_EVERY_MESSAGES, 10) and the same
  chat with summaries off (SUMMARY_EVERY_MESSAGES=0, today's behaviour: the raw baseline of the same
  run), CONTEXT_MAX_TOKENS=8192, ASSISTANT_MAX_TOKENS=2048, ASSISTANT_MODEL="gpt-4" (cl100k: the
  server's count and ours are the same tokenizer, exact). Messages of varied lengths: most short,
  every 25th of 2,000 to 4,000 tokens, one (turn 250) over the whole budget; replies mostly short,
  every 20th about 1,500 tokens.
  Figures: prompts over the budget; prompts missing the latest summary, the message answered or the
  reply before it; messages neither in the prompt nor in its summary; messages in the prompt whole,
  and of those the summary covers too (made ahead); model calls for summaries beside
  500 / SUMMARY_EVERY_MESSAGES + 1; prompt tokens (median, max) beside the budget.
- Time to the first delta of a reply, summaries on beside off, at turn 10 (30 chats of each mode
  brought to turn 9, their 10th turn measured) and at turn 500 (the last 30 turns of the two long
  chats), the modes taken in turns: from the call into the reply path (reply_begin) to the first
  ReplyDelta of reply_events; the fake server answers its first delta at once.

Background work (summaries, titles) is django-tasks on the database backend, as deployed. Here it
runs synchronously between turns: after each reply the bench drains the queue with the db_worker's
own Worker in batch mode (every ready task, in this process), outside the times measured. A reply
never waits for it, as in production, where a worker process does the same work.

Model calls are told apart by when they come: the first request of a turn is its reply; the others
(during the turn or the drain) are background calls, a title when its first message asks for a
title, else a summary.
"""

import asyncio
import importlib.util
import os
import random
import statistics
import time
import uuid

from bench.fake_model import FakeModel
from bench.harness import print_table, setup_django

TURNS = int(os.environ.get("BENCH_BUDGET_TURNS", "500"))
SAMPLES = int(os.environ.get("BENCH_BUDGET_SAMPLES", "30"))  # replies timed at each point, each mode
EARLY_TURN = 10
HUGE_TURN = TURNS // 2  # 250 of 500
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


# --- the script ----------------------------------------------------------------------------------

_VOCABULARY = sorted({"".join(random.Random(n).choices(SYLLABLES, k=2 + n % 3)) for n in range(3000)})


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choices(_VOCABULARY, k=count))


def user_text(turn: int) -> str:
    """Turn `turn`'s message: most short, every 25th of 2,000 to 4,000 tokens, one over the budget."""
    rng = random.Random(turn)
    if turn == HUGE_TURN:
        from django.conf import settings

        return (f"[turn {turn}] " + _words(rng, 20_000))[: settings.MAX_UTTERANCE_CHARS]
    count = rng.randint(700, 1400) if turn % 25 == 7 else rng.randint(5, 120)
    return f"[turn {turn}] " + _words(rng, count)


def reply_text(turn: int) -> str:
    rng = random.Random(-turn)
    return f"[reply {turn}] " + _words(rng, rng.randint(500, 600) if turn % 20 == 3 else rng.randint(10, 150))


# --- a chat through the real reply path -----------------------------------------------------------


class Chat:
    def __init__(self, *, user, session_id: uuid.UUID, every: int, server: FakeModel):
        self.user, self.session_id, self.every, self.server = user, session_id, every, server
        self.history: list[tuple[int, str, str]] = []  # (seq, role, text) of the chat, in order
        self.ttft_ms: dict[int, float] = {}
        self.begin_ms: dict[int, float] = {}  # of which reply_begin (the message stored, the prompt made)
        self.prompts: list[dict] = []  # the server's record of each reply's prompt, with the checks
        self.turn = 0

    async def send(self) -> None:
        """The next turn: the message sent, its reply streamed, then the background work drained."""
        from django.test import override_settings

        from conversation.db_threads import db_async
        from conversation.replies.stream import ReplyDelta, ReplyDone, reply_events
        from conversation.replies.turn import reply_begin

        self.turn += 1
        turn, text = self.turn, user_text(self.turn)
        with override_settings(SUMMARY_EVERY_MESSAGES=self.every):
            summary = await db_async(_summary_now)(session_id=self.session_id)
            self.server.expect_reply(chat=self, turn=turn, text=reply_text(turn))
            calls = len(self.server.calls)
            started = time.perf_counter()
            begun = await db_async(reply_begin)(
                user=self.user, session_id=self.session_id, client_id=uuid.uuid4().hex, text=text
            )
            self.begin_ms[turn] = (time.perf_counter() - started) * 1000
            done = None
            async for event in reply_events(user=self.user, turn=begun):
                if isinstance(event, ReplyDelta) and turn not in self.ttft_ms:
                    self.ttft_ms[turn] = (time.perf_counter() - started) * 1000
                elif isinstance(event, ReplyDone):
                    done = event
            self.server.between_turns()
            await db_async(_drain)()
        self.history.append((begun.user_utterance.seq, "user", text))
        [call] = [c for c in self.server.calls[calls:] if c["kind"] == "reply"]
        self.prompts.append(
            _check(call, turn=turn, text=text, summary=summary, history=self.history, ours=begun.prompt)
        )
        self.history.append((done.utterance.seq, "assistant", done.utterance.text))


def _summary_now(*, session_id: uuid.UUID):
    from conversation.models import Session
    from conversation.summaries.selectors import summary_for_session

    return summary_for_session(session=Session.objects.get(pk=session_id))


def _drain() -> None:
    """Every ready background task, run here and now (the db_worker's own loop, in batch mode)."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    ).run()


def _check(call: dict, *, turn: int, text: str, summary, history: list, ours) -> dict:
    """What a reply's prompt as the server got it holds, beside what it should."""
    from django.conf import settings

    from conversation.prompt import CUT_MARKER, SUMMARY_HEADING

    messages = call["messages"]
    systems = [m["content"] for m in messages if m["role"] == "system"]
    chat = [m for m in messages if m["role"] != "system"]
    last = chat[-1]["content"] if chat else ""
    cut = last.endswith(CUT_MARKER) and text.startswith(last[: -len(CUT_MARKER)])
    newest = bool(chat) and chat[-1]["role"] == "user" and (last == text or cut)
    has_summary = summary is None or any(SUMMARY_HEADING in s and summary.text[:500].strip() in s for s in systems)
    after = [h for h in history if summary is None or h[0] > summary.seq]
    # The prompt's messages are the newest of the chat, in order (the last one maybe cut); made
    # ahead, the summary may cover the oldest of them too.
    in_order = len(chat) <= len(history) and [m["content"] for m in chat[:-1]] == [
        h[2] for h in history[len(history) - len(chat) : -1]
    ]
    previous_reply = next((h for h in reversed(history) if h[1] == "assistant"), None)
    missing_previous = previous_reply is not None and not cut and len(chat) < 2
    return {
        "turn": turn,
        "tokens": call["tokens"],
        "ours": ours.tokens,
        "over": call["tokens"] > settings.CONTEXT_MAX_TOKENS - settings.ASSISTANT_MAX_TOKENS,
        "over_context": call["tokens"] + (call["max_tokens"] or 0) > settings.CONTEXT_MAX_TOKENS,
        "missing": not has_summary or not newest or missing_previous or not in_order,
        "cut": cut,
        "gap": max(len(after) - len(chat), 0),  # messages neither in the prompt nor in its summary
        "overlap": max(len(chat) - len(after), 0),  # messages in the prompt that its summary covers too
        "verbatim": len(chat),
        "summary": summary is not None,
    }


# --- the benchmark --------------------------------------------------------------------------------


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.test import override_settings

    from accounts.models import User
    from conversation import tokens
    from conversation.sessions.create import session_create

    built = importlib.util.find_spec("conversation.summaries.services") is not None
    every = settings.SUMMARY_EVERY_MESSAGES or 10
    server = FakeModel()
    user = User.objects.create_user(email=f"budget-{uuid.uuid4().hex[:8]}@example.com")
    overrides = override_settings(
        ASSISTANT_BASE_URL=server.url,
        ASSISTANT_API_KEY="bench",
        ASSISTANT_MODEL="gpt-4",
        CONTEXT_MAX_TOKENS=8192,
        ASSISTANT_MAX_TOKENS=2048,
    )

    def chat(mode_every: int) -> Chat:
        return Chat(user=user, session_id=session_create(user=user).pk, every=mode_every, server=server)

    started = time.perf_counter()
    with overrides:
        assert tokens.counting_is_exact("gpt-4")
        long_on, long_off = chat(every), chat(0)
        early = [(chat(every), chat(0)) for _ in range(SAMPLES)]

        async def run() -> None:
            for _ in range(TURNS):  # the modes in turns, so that the machine's drift moves both
                await long_on.send()
                await long_off.send()
            for _ in range(EARLY_TURN):
                for on, off in early:
                    await on.send()
                    await off.send()

        asyncio.run(run())
        budget = settings.CONTEXT_MAX_TOKENS - settings.ASSISTANT_MAX_TOKENS
        huge = tokens.text_tokens(user_text(HUGE_TURN)) if HUGE_TURN else None
    server.stop()
    took = time.perf_counter() - started

    on_calls = _calls_of(server, long_on)
    rows = []
    for label, key in [
        ("prompts over the budget", "over"),
        ("prompt + the reply's max_tokens over CONTEXT_MAX_TOKENS", "over_context"),
        ("prompts missing the summary, the message answered or the reply before it", "missing"),
    ]:
        on, off = (sum(p[key] for p in c.prompts) for c in (long_on, long_off))
        rows.append([label, f"{on} of {len(long_on.prompts)}", f"{off} of {len(long_off.prompts)}", "0", _met(on == 0)])
    mismatched = sum(p["tokens"] != p["ours"] for c in (long_on, long_off) for p in c.prompts)
    rows.append(["server's count != the prompt's own (exact model)", str(mismatched), "", "0", _met(mismatched == 0)])
    for c in (long_on, long_off):
        c.gaps = [p["gap"] for p in c.prompts if not p["cut"]]
    rows.append(
        [
            "messages neither in the prompt nor summarized (median / max)",
            f"{statistics.median(long_on.gaps):.0f} / {max(long_on.gaps)}",
            f"{statistics.median(long_off.gaps):.0f} / {max(long_off.gaps)}",
            "(reported)",
            "" if built else "summaries not built",
        ]
    )
    for label, key in [
        ("messages in the prompt in full (median)", "verbatim"),
        ("  of which the summary covers too (median)", "overlap"),
    ]:
        on, off = (statistics.median(p[key] for p in c.prompts) for c in (long_on, long_off))
        rows.append([label, f"{on:.0f}", f"{off:.0f}", "(reported)", ""])
    rows.append(
        [
            "prompts holding a summary",
            f"{sum(p['summary'] for p in long_on.prompts)}",
            f"{sum(p['summary'] for p in long_off.prompts)}",
            "",
            "",
        ]
    )
    limit = TURNS // every + 1
    for label, kind in [("summary calls over the context (prompt + max_tokens)", "summary"), ("title calls", "title")]:
        calls = [c for c in server.calls if c["kind"] == kind and c["chat"] in (long_on, long_off)]
        if kind == "title":
            on, off = (sum(c["chat"] is chat for c in calls) for chat in (long_on, long_off))
            rows.append([label, str(on), str(off), "(reported)", ""])
            continue
        over = [c for c in calls if c["tokens"] + (c["max_tokens"] or 0) > settings.CONTEXT_MAX_TOKENS]
        rows.append(
            [label, f"{len(over)} of {len(calls)}", "", "0", _met(not over) if built else "summaries not built"]
        )
    rows.append(
        [
            "model calls for summaries",
            f"{on_calls}",
            f"{_calls_of(server, long_off)}",
            f"<= {TURNS} / {every} + 1 = {limit}",
            _met(on_calls <= limit) if built else "summaries not built",
        ]
    )
    for c in (long_on, long_off):
        c.tokens = [p["tokens"] for p in c.prompts]
    rows.append(
        [
            "prompt tokens, median / max",
            f"{statistics.median(long_on.tokens):,.0f} / {max(long_on.tokens):,}",
            f"{statistics.median(long_off.tokens):,.0f} / {max(long_off.tokens):,}",
            f"<= {budget:,} (budget)",
            _met(max(long_on.tokens + long_off.tokens) <= budget),
        ]
    )
    if huge is not None:
        rows.append([f"  the huge message (turn {HUGE_TURN}): {huge:,} tokens, cut in the prompt", "", "", "", ""])
    if not built:
        rows.append(
            ["summaries not built (no conversation.summaries.services): checks of them skipped", "", "", "", ""]
        )
    print_table(
        f"Context budget: a {TURNS}-turn chat through the reply path, fake model server ({took:.0f} s)",
        ["figure", f"summaries on (every {every})", "summaries off (today)", "target", "met"],
        rows,
    )

    late = range(max(1, TURNS - SAMPLES + 1), TURNS + 1)
    ttft_rows = []
    for label, points in [
        (f"turn {EARLY_TURN} ({SAMPLES} chats)", [(on, off, EARLY_TURN) for on, off in early]),
        (f"turns {late.start}-{late.stop - 1}", [(long_on, long_off, t) for t in late]),
    ]:
        on = [a.ttft_ms[t] for a, _, t in points]
        off = [b.ttft_ms[t] for _, b, t in points]
        begin_on = statistics.median(a.begin_ms[t] for a, _, t in points)
        begin_off = statistics.median(b.begin_ms[t] for _, b, t in points)
        ratio = statistics.median(on) / statistics.median(off)
        ttft_rows.append(
            [
                label,
                f"{statistics.median(on):.1f} ms (begin {begin_on:.1f})",
                f"{statistics.median(off):.1f} ms (begin {begin_off:.1f})",
                f"{ratio:.2f}",
                "<= 1.10",
                _met(ratio <= 1.10),
            ]
        )
    print_table(
        "Time to the first delta of a reply (median; from reply_begin to the first ReplyDelta, of which"
        " reply_begin: the message stored and the prompt made)",
        ["at", "summaries on", "summaries off (today)", "on/off", "target", "met"],
        ttft_rows,
    )
    print(f"background model calls: {_kinds(server)}", flush=True)


def _calls_of(server: FakeModel, chat: Chat) -> int:
    """Summary calls made for `chat`'s turns (a call between turns belongs to the turn before)."""
    return sum(1 for c in server.calls if c["kind"] == "summary" and c.get("chat") is chat)


def _kinds(server: FakeModel) -> dict:
    kinds: dict = {}
    for c in server.calls:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    return kinds


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"

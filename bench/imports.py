"""Import benchmark (issue 19): a generated ChatGPT-format export imported by a real worker process
(`manage.py db_worker --batch`), beside the bulk save rate of bench/domain.py measured in the same run.

Two files of the same shape, 500 conversations / 100,000 messages (about 30 MB) and 5,000 / 1,000,000
(about 300 MB), to show that the worker's memory does not grow with the file. Each conversation has
ChatGPT's empty root and hidden system message, 200 messages on average, and one in ten an edit (a
second branch). Figures: messages stored per second of the worker's wall time (its start-up of
about a second included), and its peak RSS.
"""

import json
import os
import random
import statistics
import tempfile
import time
import uuid

from bench.harness import command_peak_rss, print_table, setup_django

T0 = 1_700_000_000.0
VOCABULARY = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use an each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number no"
)
WORDS = VOCABULARY.split()


def message(node_id: str, role: str, text: str, t: float, *, hidden: bool = False) -> dict:
    """A node's message as ChatGPT writes it, with the fields it carries beside the text."""
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": t,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 1.0,
        "metadata": {"is_visually_hidden_from_conversation": True} if hidden else {"model_slug": "gpt-4o"},
        "recipient": "all",
        "channel": None,
    }


def conversation(n: int, rng: random.Random, *, messages: int) -> tuple[dict, int]:
    """One conversation of about `messages` messages; (it, how many it holds)."""

    def text() -> str:
        return " ".join(rng.choices(WORDS, k=rng.randint(8, 30))).capitalize() + "."

    t = T0 + n * 3600
    mapping = {
        "root": {"id": "root", "message": None, "parent": None, "children": ["sys"]},
        "sys": {"id": "sys", "message": message("sys", "system", "", t, hidden=True), "parent": "root", "children": []},
    }
    parent, count = "sys", 0
    for i in range(messages):
        node_id = f"{n}-{i}"
        role = "user" if i % 2 == 0 else "assistant"
        mapping[parent]["children"].append(node_id)
        mapping[node_id] = {
            "id": node_id,
            "message": message(node_id, role, text(), t + i),
            "parent": parent,
            "children": [],
        }
        parent, count = node_id, count + 1
    current = parent
    if n % 10 == 0 and messages > 20:  # an edit of a question half-way, with a few answers after it
        fork = mapping[f"{n}-{messages // 2 - 2}"]["parent"]
        parent = fork
        for i in range(6):
            node_id = f"{n}-e{i}"
            role = "user" if i % 2 == 0 else "assistant"
            mapping[parent]["children"].append(node_id)
            mapping[node_id] = {
                "id": node_id,
                "message": message(node_id, role, text(), t + messages + i),
                "parent": parent,
                "children": [],
            }
            parent, count = node_id, count + 1
    return {
        "title": " ".join(rng.choices(WORDS, k=4)).capitalize(),
        "create_time": t,
        "update_time": t + messages + 6,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": current,
        "conversation_id": f"bench-{n}",
        "default_model_slug": "gpt-4o",
        "id": f"bench-{n}",
    }, count


def write_export(path: str, *, conversations: int, messages: int) -> int:
    """conversations.json of `conversations` chats of `messages` each on average, written one chat at
    a time; returns how many messages it holds."""
    rng = random.Random(conversations)
    total = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        for n in range(conversations):
            chat, count = conversation(n, rng, messages=rng.randint(messages // 2, messages * 3 // 2))
            out.write(("," if n else "") + json.dumps(chat, ensure_ascii=False))
            total += count
        out.write("]")
    return total


def import_with_worker(*, user, path: str) -> tuple[float, float, object]:
    """Queue the file as an upload is queued, run one worker until the queue is empty; (seconds of
    the job, the worker's peak RSS in MB, the finished import)."""
    from django.core.files import File
    from django.core.files.storage import storages
    from django.db import transaction

    from imports import tasks
    from imports.models import ConversationImport

    with open(path, "rb") as source:
        name = storages["imports"].save(f"bench-{uuid.uuid4().hex}.upload", File(source))
    with transaction.atomic():
        job = ConversationImport.objects.create(
            user=user, file_name="conversations.json", file=name, size=os.path.getsize(path)
        )
        tasks.conversation_import_run.enqueue(import_id=str(job.pk))
    start = time.perf_counter()
    _, peak_mb = command_peak_rss(
        [
            "manage.py",
            "db_worker",
            "--batch",
            "--queue-name",
            "*",
            "--no-reload",
            "--no-startup-delay",
            "--verbosity",
            "0",
        ]
    )
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    assert job.status == ConversationImport.Status.DONE, (job.status, job.error)
    assert not job.failed, job.failed
    return seconds, peak_mb, job


def bulk_save_rate(user) -> float:
    """bench/domain.py's "save 1,000 utterances in one call": three calls of 1,000, utterances/s."""
    from django.conf import settings

    from conversation.history.save import conversation_save
    from conversation.inputs import UtteranceIn

    settings.MAX_BATCH_UTTERANCES = 1000
    rng = random.Random(7)
    batches = [
        [
            UtteranceIn(
                role="user" if n % 2 else "agent",
                text=" ".join(rng.choices(WORDS, k=rng.randint(8, 30))),
                timestamp=1763726400000 + n,
            )
            for n in range(1000)
        ]
        for _ in range(3)
    ]
    start = time.perf_counter()
    for messages in batches:
        conversation_save(user=user, messages=messages)
    return 3000 / (time.perf_counter() - start)


def main() -> None:
    setup_django()
    from accounts.models import User

    figures = []
    with tempfile.TemporaryDirectory() as folder:
        for conversations in (500, 5_000):
            path = os.path.join(folder, f"conversations-{conversations}.json")
            started = time.perf_counter()
            messages = write_export(path, conversations=conversations, messages=200)
            size_mb = os.path.getsize(path) / 1e6
            print(
                f"Generated {conversations:,} conversations, {messages:,} messages, {size_mb:,.0f} MB "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            user = User.objects.create_user(email=f"import-{uuid.uuid4().hex[:8]}@example.com")
            seconds, peak_mb, job = import_with_worker(user=user, path=path)
            assert job.utterances == messages, (job.utterances, messages)
            saver = User.objects.create_user(email=f"save-{uuid.uuid4().hex[:8]}@example.com")
            bulk = statistics.median(bulk_save_rate(saver) for _ in range(3))
            figures.append((conversations, messages, size_mb, seconds, peak_mb, job.utterances / seconds, bulk))
            os.remove(path)

    rows = []
    for conversations, messages, size_mb, seconds, peak_mb, ours, bulk in figures:
        rows.append(
            [
                f"{conversations:,} conversations / {messages:,} messages ({size_mb:,.0f} MB)",
                f"{seconds:,.1f} s",
                f"{ours:,.0f} utt/s",
                f"{bulk:,.0f} utt/s",
                f"{ours / bulk:.0%}",
                f"{peak_mb:,.1f} MB",
            ]
        )
    (_, _, _, _, small_mb, _, _), (_, _, _, _, big_mb, big_rate, big_bulk) = figures
    print_table(
        "Import benchmark (PostgreSQL, production settings, one worker process)",
        ["file", "worker wall time", "import rate", "bulk save rate", "import/bulk", "worker peak RSS"],
        rows,
    )
    print(
        f"Targets: import rate >= 50% of the bulk save rate: {'met' if big_rate >= 0.5 * big_bulk else 'NOT met'}; "
        f"peak RSS < 150 MB and flat from 30 to 300 MB: "
        f"{'met' if big_mb < 150 and big_mb < small_mb * 1.1 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

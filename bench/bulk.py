"""Bulk benchmark: one action on 1,000 chats through POST /api/sessions/bulk/ (Daphne on PostgreSQL
and Redis), and its Undo (the calls the answer names), beside the bare UPDATE of the same rows in the
same run. Each figure is the median of 3 rounds of the request's time on loopback with a kept-alive
connection (the server's time: the body is small); the target is <= 2 s for each action and each
Undo, and every Undo must give all 1,000 chats back as they were (asserted).
"""

import http.client
import json
import statistics
import time
import uuid
from datetime import UTC, datetime

from bench.harness import copy_chats, daphne, print_table, setup_django

CHATS, PER_CHAT, ROUNDS, TARGET_S = 1_000, 4, 3, 2.0


def bulk_data():
    """A user with a device token, 1,000 chats of 4 messages each (COPY), a folder, and another
    user's folder (which the baseline does not need)."""
    from django.db import connection

    from accounts.models import User
    from accounts.services import device_token_create
    from conversation.folders.services import folder_create
    from conversation.sessions.personas import persona_resolve

    user = User.objects.create_user(email=f"bulk-{uuid.uuid4().hex[:8]}@example.com")
    token = device_token_create(user=user, name="bench")[1]
    now = time.time()
    with connection.cursor() as cursor:
        ids = copy_chats(
            cursor.cursor,
            user_id=user.pk,
            persona_id=persona_resolve(persona=None).pk,
            sessions=CHATS,
            per_session=PER_CHAT,
            title=lambda: "a chat of the benchmark",
            text=lambda seq: f"message {seq} of a chat",
            moment=lambda n: datetime.fromtimestamp(now - n * 60, tz=UTC),
        )
        cursor.execute("ANALYZE conversation_session")
    folder = folder_create(user=user, name="Bench")
    return user, token, [str(i) for i in ids], str(folder.pk)


def state(user) -> list[tuple]:
    """Each chat's pin, archive, trash, folder and tags, in id order: what an Undo must give back."""
    from conversation.models import Session

    return list(
        Session.objects.filter(user=user)
        .order_by("id")
        .values_list("pinned_at", "archived_at", "deleted_at", "folder_id", "tag_names")
    )


# The bare statements that do what each action does to the rows, and take it back.
RAW = {
    "archive": (
        "UPDATE conversation_session SET archived_at = now() WHERE id = ANY(%s)",
        "UPDATE conversation_session SET archived_at = NULL WHERE id = ANY(%s)",
    ),
    "move": (
        "UPDATE conversation_session SET folder_id = %s WHERE id = ANY(%s)",
        "UPDATE conversation_session SET folder_id = NULL WHERE id = ANY(%s)",
    ),
    "tag": (
        "UPDATE conversation_session SET tag_names = '[\"bench\"]' WHERE id = ANY(%s)",
        "UPDATE conversation_session SET tag_names = '[]' WHERE id = ANY(%s)",
    ),
    "trash": (
        "UPDATE conversation_session SET deleted_at = now() WHERE id = ANY(%s)",
        "UPDATE conversation_session SET deleted_at = NULL, restored_at = now() WHERE id = ANY(%s)",
    ),
}


def raw_seconds(action: str, ids: list[str], folder: str) -> float:
    from django.db import connection, transaction

    forward, back = RAW[action]
    as_uuids = [uuid.UUID(i) for i in ids]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(forward, [uuid.UUID(folder), as_uuids] if action == "move" else [as_uuids])
    elapsed = time.perf_counter() - start
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(back, [as_uuids])
    return elapsed


def main() -> None:
    setup_django()
    user, token, ids, folder = bulk_data()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    bodies = {
        "archive": {"action": "archive"},
        "move": {"action": "move", "folder": folder},
        "tag": {"action": "tag", "tags": ["bench"]},
        "trash": {"action": "trash"},
    }
    rows = []
    lifted = {"THROTTLE_API_READ": "100000000/min", "THROTTLE_API_WRITE": "100000000/min"}
    with daphne("chatproject.asgi:application", **lifted) as host:
        client = http.client.HTTPConnection(host, timeout=60)

        def post(body: dict) -> tuple[float, dict]:
            start = time.perf_counter()
            client.request("POST", "/api/sessions/bulk/", json.dumps(body), headers)
            response = client.getresponse()
            answer = json.loads(response.read())
            elapsed = time.perf_counter() - start
            assert response.status == 200, answer
            return elapsed, answer

        before = state(user)
        for action, body in bodies.items():
            acted, undone, raw = [], [], []
            for _ in range(ROUNDS):
                seconds, answer = post({"ids": ids, **body})
                assert (answer["done"], len(answer["changed"])) == (CHATS, CHATS), (action, answer["done"])
                acted.append(seconds)
                start = time.perf_counter()
                for undo in answer["undo"]:
                    post(undo)
                undone.append(time.perf_counter() - start)
                assert state(user) == before, f"{action}'s Undo did not give all {CHATS} chats back as they were"
                raw.append(raw_seconds(action, ids, folder))
            act_s, undo_s, raw_s = (statistics.median(x) for x in (acted, undone, raw))
            ok = "yes" if act_s <= TARGET_S and undo_s <= TARGET_S else "NO"
            rows.append([action, f"{act_s:.3f}", f"{undo_s:.3f}", f"{raw_s * 1000:.1f}", f"{act_s / raw_s:.0f}x", ok])
        client.close()
    print_table(
        f"Bulk actions on {CHATS:,} chats through the API (Daphne; median of {ROUNDS}; Undo restores all, asserted)",
        ["action", "API s", "its Undo s", "bare UPDATE ms", "API / bare", f"<= {TARGET_S:.0f} s"],
        rows,
    )

"""The suite runs on the real servers, and refuses to run without them."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_the_database_is_postgresql(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


def test_a_cache_write_is_visible_to_a_raw_redis_client():
    key = f"probe-{uuid.uuid4()}"
    cache.set(key, "written through django", timeout=30)
    raw = redis.Redis.from_url(settings.REDIS_URL)
    stored_keys = raw.keys(f"*{key}*")
    assert len(stored_keys) == 1
    assert raw.ttl(stored_keys[0]) > 0
    cache.delete(key)
    assert raw.keys(f"*{key}*") == []


async def test_a_group_message_travels_through_redis():
    from channels.layers import get_channel_layer

    group = f"probe-{uuid.uuid4().hex}"
    raw = redis.Redis.from_url(settings.REDIS_URL)
    listener = raw.pubsub()
    listener.psubscribe(f"*{group}*")
    listener.get_message(timeout=1)  # the subscription's confirmation
    await get_channel_layer().group_send(group, {"type": "probe"})
    published = listener.get_message(timeout=5)
    listener.close()
    assert published is not None
    assert published["type"] == "pmessage"
    assert group.encode() in published["channel"]


def test_the_run_fails_in_ci_when_a_service_url_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["CI"] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_services_are_real.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL not set" in result.stdout + result.stderr

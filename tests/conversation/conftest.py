import shutil
import socket
import subprocess
import time

import pytest

from conversation.sessions.create import session_create


@pytest.fixture
def session(owner):
    return session_create(user=owner)


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own, to stop and start."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=tmp_path)
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    return
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")

        def stop(self):
            self.process.terminate()
            self.process.wait(5)

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def cache_on_own_redis(settings, own_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25, "IGNORE_EXCEPTIONS": True},
            "KEY_PREFIX": "chat",
        }
    }
    return own_redis

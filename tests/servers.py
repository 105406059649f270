"""Servers a test starts for itself: PostgreSQL, Redis and Daphne processes it may stop and restart."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"  # logs and screenshots of a run (not committed)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=self.workdir)
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)


class PostgresServer:
    """A PostgreSQL cluster of its own (as the `postgres` user when run as root, like scripts/with-services.sh)."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="chat-test-pg-"))
        self.workdir.chmod(0o755)
        self.data = self.workdir / "data"
        self.port = free_port()
        self.url = f"postgres://chat@127.0.0.1:{self.port}/chat"
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_pg, *args], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self.data.mkdir()
        if self.as_pg:
            shutil.chown(self.data, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "chat", "--auth=trust", "--encoding=UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "chat", "chat")

    def _ctl(self, *args: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"), "-o", options,
                  "-w", "-t", "60", *args)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)


def database_url_of_tests() -> str:
    """The test database, for a server process the test starts."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_daphne(
    *,
    env: dict[str, str],
    log: Path,
    port: int | None = None,
    application: str = "chatproject.asgi:application",
    tree: Path = ROOT,
) -> tuple[subprocess.Popen, str]:
    """A Daphne process serving the project with `env` over the test run's; (process, base URL).
    `tree`: another checkout of the project to serve (the benchmarks' baseline)."""
    port = port or free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chatproject.daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            application,
        ],
        cwd=tree,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process=process)
    except RuntimeError:
        process.kill()
        raise RuntimeError(f"Daphne did not start; see {log}") from None
    return process, f"http://127.0.0.1:{port}"


SERVE_LINE = re.compile(r"^(gunicorn|Daphne \d+)\b.* on (127\.0\.0\.1:\d+)$")


def start_topology(*, env: dict[str, str], log: Path, timeout: float = 120.0) -> tuple[subprocess.Popen, dict]:
    """`make serve`'s scripts/serve.sh with `env` over the test run's environment; (process,
    {"url": nginx's base URL, "gunicorn": its URL, "daphne": [each Daphne process's URL]}).

    The static files are collected into a folder of their own, readable by nginx's workers."""
    static_root = Path(tempfile.mkdtemp(prefix="chat-serve-static-"))
    static_root.chmod(0o755)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "PORT": str(port),
        "STATIC_ROOT": str(static_root),
        "BIN": str(Path(sys.executable).parent),
        **env,
    }
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh")],
        cwd=ROOT,
        env=environment,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its process group: every process it started
    )
    deadline = time.monotonic() + timeout
    while "Serving at" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            shutil.rmtree(static_root, ignore_errors=True)
            raise RuntimeError(f"make serve's topology did not start; see {log}")
        time.sleep(0.2)
    servers = {}
    for line in log.read_text(errors="replace").splitlines():
        if match := SERVE_LINE.match(line):
            servers[match.group(1)] = f"http://{match.group(2)}"
    daphnes = [url for name, url in sorted(servers.items()) if name.startswith("Daphne")]
    return process, {
        "url": f"http://127.0.0.1:{port}",
        "gunicorn": servers["gunicorn"],
        "daphne": daphnes,
        "static_root": static_root,
    }


def stop_topology(process: subprocess.Popen, servers: dict) -> int:
    """TERM to serve.sh, which stops every process it started; its exit status. The static files
    start_topology collected (tens of MB) go too."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    finally:
        shutil.rmtree(servers["static_root"], ignore_errors=True)


def run_on_sqlite(script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`script` run by Python on the embedded default: a fresh SQLite file in `tmp_path`, the local-memory
    cache (no REDIS_URL), the run's folders there too. The suite itself runs on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    env["EXPORTS_ROOT"] = str(tmp_path / "exports")
    env["IMPORTS_ROOT"] = str(tmp_path / "imports")
    env["DJANGO_SETTINGS_MODULE"] = "chatproject.settings"
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def manage(*args: str, env: dict[str, str]) -> str:
    """Runs manage.py with `env` over the test run's environment; its standard output."""
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wait_until_sockets_closed(*, seconds: float = 10.0) -> None:
    """Until the servers have handled the closing of every socket (each deletes its lease) and stored
    every reply still being written (a reply runs to its end when its tab is gone; its transaction
    writes the session, its utterance and the user's day of tokens): a test waits for them before
    the database flush, whose TRUNCATE would meet those writes as a deadlock."""
    from conversation.models import ReplyInFlight, SocketLease

    deadline = time.monotonic() + seconds
    while (SocketLease.objects.exists() or ReplyInFlight.objects.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)

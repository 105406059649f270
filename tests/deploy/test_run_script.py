"""scripts/run.sh (`make run`) on the embedded default: its JOB_WORKERS workers run jobs on SQLite, a
worker that dies is started again with a line saying which and how, and Daphne dying stops it all,
saying so."""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.servers import ROOT, free_port, wait_for_port


class RunScript:
    """scripts/run.sh as `make run` starts it, its output read line by line as it comes."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG", "DATABASE_URL")} | {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
            "EXPORTS_ROOT": str(tmp_path / "exports"),
            "IMPORTS_ROOT": str(tmp_path / "imports"),
            "PORT": str(self.port),
            "JOB_WORKERS": "2",
        }
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # the end of its output

    def line_matching(self, pattern: str, *, seconds: float = 60) -> re.Match:
        deadline = time.monotonic() + seconds
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if (found := re.search(pattern, line)) is not None:
                return found
            seen.append(line)
            if line == "" and self.process.poll() is not None:
                break
        pytest.fail(f"No line matching {pattern!r} in:\n" + "\n".join(seen))

    def manage_shell(self, code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def run_script(tmp_path):
    script = RunScript(tmp_path)
    yield script
    script.stop()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive: it is waiting for its parent to read its status.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def health(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10) as response:
        return response.status


EXPORT = """
from accounts.models import AccountExport, User
from account_data.services import account_export_start
user = User.objects.create_user(email="{email}", password="pw-12345678")
print(account_export_start(user=user).pk)
"""
EXPORT_STATUS = "from accounts.models import AccountExport; print(AccountExport.objects.get(pk='{pk}').status)"
HOSTILE_IMPORT = """
from django.core.files.base import ContentFile
from accounts.models import User
from imports.services import conversation_import_start
from tests.imports import hostile
user = User.objects.create_user(email="hostile@example.com", password="pw-12345678")
print(conversation_import_start(user=user, upload=ContentFile(hostile.many_strings(14_000_000)), file_name="x.zip").pk)
"""
IMPORT_STATE = (
    "from imports.models import ConversationImport; job = ConversationImport.objects.get(pk='{pk}'); "
    "print(job.status, job.error, sep='|')"
)


def test_a_worker_that_dies_is_started_again_and_jobs_run_on_sqlite(run_script):
    workers = {}
    for _ in range(2):
        found = run_script.line_matching(r"Background worker (\d) started \(pid (\d+);")
        workers[found[1]] = int(found[2])
    daphne = int(run_script.line_matching(r"Serving at http://127\.0\.0\.1:\d+/ \(Daphne, pid (\d+)\)")[1])
    wait_for_port(run_script.port, process=run_script.process, timeout=60)

    os.kill(workers["1"], signal.SIGKILL)
    run_script.line_matching(rf"Background worker 1 \(pid {workers['1']}\) killed by signal KILL: starting it again")
    again = int(run_script.line_matching(r"Background worker 1 started \(pid (\d+);")[1])
    assert again != workers["1"]
    assert alive(again)
    assert alive(workers["2"])
    assert health(run_script.port) == 200

    # Jobs run in their child processes on SQLite: a file past the memory limit fails with that
    # reason, and an export started beside it is built.
    import_id = run_script.manage_shell(HOSTILE_IMPORT)
    export_id = run_script.manage_shell(EXPORT.format(email="lite@example.com"))
    deadline = time.monotonic() + 90
    while (status := run_script.manage_shell(EXPORT_STATUS.format(pk=export_id))) in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert status == "done"
    while (state := run_script.manage_shell(IMPORT_STATE.format(pk=import_id))).startswith(("queued", "running")):
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    assert state.startswith("failed|The file needed more than 512 MB of memory to read"), state

    os.kill(daphne, signal.SIGKILL)
    run_script.line_matching(rf"Daphne \(pid {daphne}\) killed by signal KILL: stopping the background workers too")
    assert run_script.process.wait(timeout=30) != 0
    assert not alive(again)
    assert not alive(workers["2"])

"""Bounded jobs benchmark (issue 29): hostile imports fail their own job within seconds, under the job
memory limit, while another user's account export started at the same moment is built at once.

Two real workers (`manage.py db_worker`, as `make run` and `make serve` start them) take the jobs.
Each case queues one hostile upload (as POST /api/imports/ does) and, at the same moment, another
user's account export; figures: how the hostile job ended and after how long, the peak RSS of the
worker that ran it with its job's child process (their high-water marks added: the whole tree), and
the export's time. Beside them, measured in the same run: the export alone on idle workers, and the
raw parse of the same file (ijson in a plain process, as a job ran before the limits) capped at 10 s
and 2 GiB so the benchmark itself stays bounded.
"""

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.harness import ROOT, print_table, setup_django

CASES = ["nested 60,000 deep (JSON)", "one 300 MB string (zip)", "1 GiB bomb of [ (zip)", "14M short strings (zip)"]
RAW_SECONDS, RAW_MEMORY = 10, 2 * 1024**3
_RAW_PARSE = """
import io, resource, sys, time, zipfile
import ijson
resource.setrlimit(resource.RLIMIT_DATA, ({memory}, {memory}))
data = open(sys.argv[1], "rb").read()
source = zipfile.ZipFile(io.BytesIO(data)).open("conversations.json") if data[:2] == b"PK" else io.BytesIO(data)
start = time.perf_counter()
try:
    for _ in ijson.items(source, "item"):
        pass
    print("parsed", time.perf_counter() - start)
except MemoryError:
    print("out of memory", time.perf_counter() - start)
except ijson.JSONError as exc:
    print("invalid", time.perf_counter() - start)
"""


def hostile_files() -> dict[str, bytes]:
    from tests.imports import hostile

    return {
        CASES[0]: hostile.NESTED,
        CASES[1]: hostile.one_long_string(300),
        CASES[2]: hostile.bomb(1),
        CASES[3]: hostile.many_strings(14_000_000),
    }


def tree_high_water_mb(worker: int) -> float:
    """The worker's peak RSS plus its children's (their VmHWM: exact however short the peak)."""
    total = 0
    for pid in [worker, *_children(worker)]:
        total += _status_kb(pid, "VmHWM:")
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_high_water(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS


class TreeSampler:
    """Samples each worker's tree every 20 ms: the worker's own VmHWM plus the highest VmHWM of each
    job child seen (read while it lives, so a child's whole peak is counted)."""

    def __init__(self, workers: list[int]):
        self.workers = workers
        self.peaks = dict.fromkeys(workers, 0.0)
        self.children: dict[int, dict[int, int]] = {worker: {} for worker in workers}
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        for worker in self.workers:
            _reset_high_water(worker)
            self.peaks[worker], self.children[worker] = 0.0, {}

    def _run(self) -> None:
        while self.running:
            for worker in self.workers:
                seen = self.children[worker]
                for child in _children(worker):
                    seen[child] = max(seen.get(child, 0), _status_kb(child, "VmHWM:"))
                child_peak = max(seen.values(), default=0)
                self.peaks[worker] = max(self.peaks[worker], (_status_kb(worker, "VmHWM:") + child_peak) / 1024)
            time.sleep(0.02)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--queue-name",
                "*",
                "--interval",
                "0.1",
                "--no-startup-delay",
            ],
            cwd=ROOT,
            env=env | {"LOG_LEVEL": "ERROR"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def wait_finished(model, pk, *, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.status in ("done", "failed"):
            return row
        time.sleep(0.05)
    raise RuntimeError(f"{model.__name__} {pk} did not finish within {seconds} s")


def raw_parse(data: bytes, folder: str) -> str:
    path = os.path.join(folder, "raw.bin")
    Path(path).write_bytes(data)
    script = _RAW_PARSE.format(memory=RAW_MEMORY)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, path], capture_output=True, text=True, timeout=RAW_SECONDS, check=False
        )
        said = done.stdout.split()
        outcome = " ".join(said[:-1]) if said else f"crashed ({done.returncode})"
    except subprocess.TimeoutExpired:
        outcome = f"still parsing at {RAW_SECONDS} s"
    os.remove(path)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"{outcome}, {time.perf_counter() - start:.1f} s (peak of raw runs so far {peak:,.0f} MB)"


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-jobs-")
    os.environ["EXPORTS_ROOT"] = os.path.join(folder, "exports")
    os.environ["IMPORTS_ROOT"] = os.path.join(folder, "imports")
    setup_django()
    from django.conf import settings
    from django.core.files.base import ContentFile

    from account_data.services import account_export_start
    from accounts.models import AccountExport, User
    from conversation.history.save import conversation_save
    from conversation.inputs import UtteranceIn
    from imports.models import ConversationImport
    from imports.services import conversation_import_start

    limit = settings.JOB_MAX_MEMORY_MB
    files = hostile_files()
    reader = User.objects.create_user(email=f"reader-{uuid.uuid4().hex[:8]}@example.com")
    for n in range(50):
        conversation_save(user=reader, messages=[UtteranceIn(role="user", text=f"message {n}.{m}") for m in range(20)])

    workers = start_workers(2, dict(os.environ))
    sampler = TreeSampler([worker.pid for worker in workers])
    rows = []
    try:
        alone = []
        for _ in range(3):
            export = wait_finished(AccountExport, account_export_start(user=reader).pk)
            alone.append((export.finished_at - export.created_at).total_seconds())
        alone_figure = f"{sorted(alone)[1]:.2f} s"
        for case, data in files.items():
            sampler.reset()
            attacker = User.objects.create_user(email=f"attacker-{uuid.uuid4().hex[:8]}@example.com")
            job = conversation_import_start(user=attacker, upload=ContentFile(data), file_name="export.zip")
            export = account_export_start(user=reader)
            export = wait_finished(AccountExport, export.pk)
            job = wait_finished(ConversationImport, job.pk)
            time.sleep(0.2)  # the worker reaps the child and records it
            worker_peak = max(sampler.peaks.values())
            rows.append(
                [
                    case,
                    f"{len(data) / 1024:,.0f} KB",
                    f"{job.status}: {job.error[:60]}",
                    f"{(job.finished_at - job.created_at).total_seconds():.1f} s",
                    f"{worker_peak:,.0f} MB (limit + 100: {limit + 100} MB)",
                    f"{(export.finished_at - export.created_at).total_seconds():.2f} s ({export.status})",
                    alone_figure,
                    raw_parse(data, folder),
                ]
            )
    finally:
        sampler.stop()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    print_table(
        f"Hostile imports beside another user's export (2 workers, JOB_MAX_MEMORY_MB={limit})",
        [
            "file",
            "size",
            "hostile job",
            "its time",
            "worker tree peak RSS",
            "other's export",
            "export alone",
            "raw parse, no limits",
        ],
        rows,
    )


if __name__ == "__main__":
    main()

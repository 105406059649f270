"""Running a background job in a child process under limits the job cannot lift.

The worker (`manage.py db_worker`) stays the parent: it starts `python -m chatproject.jobs.limits` for each
import or export, which sets up Django (its own database connections), then lowers its own limits
before it reads a byte of the job's input: its data memory (RLIMIT_DATA: the heap and private
writable mappings, which is what a parser's objects cost; unlike RLIMIT_AS it does not count address
space merely reserved, such as malloc's per-thread arenas) and its CPU time (RLIMIT_CPU), soft and hard
alike, so the job cannot raise them again. The parent keeps the wall-time limit, kills the child at
it, and tells the caller which limit ended the job, if any: the caller marks its row failed with
a reason a person understands and the worker goes on to the next job. The child dies with its
parent (PR_SET_PDEATHSIG): a job whose worker is gone is over, never still running unseen.
"""

import contextlib
import ctypes
import importlib
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

logger = logging.getLogger(__name__)

# The child's exit status when an allocation failed under its memory limit.
EXIT_OUT_OF_MEMORY = 71
# Seconds the child may use past its CPU limit (SIGXCPU) before the kernel kills it (SIGKILL).
CPU_GRACE_SECONDS = 2
PR_SET_PDEATHSIG = 1
# How often the worker samples its job's peak memory (for the log and the outcome).
PEAK_SAMPLE_SECONDS = 0.1


class JobLimit(StrEnum):
    MEMORY = "memory"
    CPU = "cpu"
    WALL = "wall"
    CRASH = "crash"  # it stopped on an error of its own


class JobStopped(Exception):
    """A job a limit stopped (or that crashed), raised after its row was marked failed so that the
    worker records the task failed too."""


@dataclass(frozen=True)
class JobLimits:
    memory_mb: int
    cpu_seconds: int
    wall_seconds: float

    @classmethod
    def from_settings(cls) -> "JobLimits":
        from django.conf import settings

        return cls(
            memory_mb=settings.JOB_MAX_MEMORY_MB,
            cpu_seconds=settings.JOB_MAX_CPU_SECONDS,
            wall_seconds=settings.JOB_MAX_SECONDS,
        )


@dataclass(frozen=True)
class JobOutcome:
    stopped_by: JobLimit | None  # None: the job ran to its end (and recorded its own result)
    peak_rss_mb: float  # sampled every PEAK_SAMPLE_SECONDS
    cpu_seconds: float
    wall_seconds: float


def job_run_limited(
    *,
    function: str,
    arguments: dict[str, str],
    limits: JobLimits,
    heartbeat: Callable[[], None] | None = None,
    heartbeat_seconds: float = 10.0,
) -> JobOutcome:
    """Run `function(**arguments)` (a dotted path, JSON arguments) in a child process under `limits`, calling
    `heartbeat()` about every `heartbeat_seconds` while it runs; returns how it ended."""
    from django.conf import settings

    started = time.monotonic()
    command = [sys.executable, "-m", "chatproject.jobs.limits", function, json.dumps(arguments), str(limits.memory_mb)]
    command += [str(limits.cpu_seconds), str(os.getpid())]
    # Two malloc arenas at most: a thread's arena is memory the job would pay for without using.
    environment = os.environ | {"MALLOC_ARENA_MAX": "2"}
    child = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment)  # noqa: S603
    deadline = started + limits.wall_seconds
    status, usage, killed, peak_kb = _wait(child, deadline=deadline, heartbeat=heartbeat, every=heartbeat_seconds)
    outcome = JobOutcome(
        stopped_by=_stopped_by(status, killed=killed),
        peak_rss_mb=peak_kb / 1024,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        wall_seconds=time.monotonic() - started,
    )
    if outcome.stopped_by is not None:
        logger.warning(
            "Job %s(%s) stopped by its %s limit (wait status %s): peak RSS %.0f MB, %.1f s CPU, %.1f s",
            function,
            arguments,
            outcome.stopped_by,
            status,
            outcome.peak_rss_mb,
            outcome.cpu_seconds,
            outcome.wall_seconds,
        )
    return outcome


def _wait(child: subprocess.Popen, *, deadline: float, heartbeat, every: float):
    """Wait for the child until `deadline`, beating the heart; kill it there. (status, rusage, killed,
    its peak RSS in KB as last sampled: wait4's ru_maxrss would count the worker's own size, which a
    child carries across exec)."""
    killed, peak_kb = False, 0
    pidfd = os.pidfd_open(child.pid)
    try:
        next_beat = time.monotonic() + every
        while True:
            now = time.monotonic()
            if now >= deadline:
                child.kill()
                killed = True
                break
            wake = min(deadline, next_beat, now + PEAK_SAMPLE_SECONDS)
            exited = select.select([pidfd], [], [], max(0.0, wake - now))[0]
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            if exited:
                break
            if heartbeat is not None and time.monotonic() >= next_beat:
                try:
                    heartbeat()
                except Exception:  # a missed beat (a database busy or restarting) must not orphan the child
                    logger.warning("A job's heartbeat failed", exc_info=True)
                next_beat = time.monotonic() + every
    finally:
        os.close(pidfd)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for wait4's figures
    return status, usage, killed, peak_kb


def _high_water_kb(pid: int) -> int:
    """The process's peak RSS so far (VmHWM), 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def _stopped_by(status: int, *, killed: bool) -> JobLimit | None:
    if killed:
        return JobLimit.WALL
    if os.WIFSIGNALED(status):
        if os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            # RLIMIT_CPU's signals; a SIGKILL from elsewhere is most likely the kernel's OOM killer,
            # which the memory limit keeps away, so the CPU limit is the better guess.
            return JobLimit.CPU
        return JobLimit.CRASH
    code = os.WEXITSTATUS(status)
    if code == EXIT_OUT_OF_MEMORY:
        return JobLimit.MEMORY
    return None if code == 0 else JobLimit.CRASH


def _limit_self(*, memory_mb: int, cpu_seconds: int) -> None:
    """Lower this process's own limits, soft and hard: it cannot raise them again."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    # CPU time spent setting up Django is not the job's: the limit counts from here.
    spent = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(spent.ru_utime + spent.ru_stime) + 1 + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_GRACE_SECONDS))


def _die_with_parent(parent_pid: int) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the wall limit still ends it
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


def _child_main(argv: list[str]) -> None:
    function, arguments, memory_mb, cpu_seconds, parent_pid = argv
    _die_with_parent(int(parent_pid))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings")
    django.setup()
    module, name = function.rsplit(".", 1)
    run = getattr(importlib.import_module(module), name)
    _limit_self(memory_mb=int(memory_mb), cpu_seconds=int(cpu_seconds))
    try:
        run(**json.loads(arguments))
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)  # no clean-up that could need memory: the parent records it
    except BaseException:
        logger.exception("Job %s(%s) stopped on an error", function, arguments)
        _exit(1)
    _exit(0)


def _exit(code: int) -> None:
    from django.db import connections

    connections.close_all()
    os._exit(code)


if __name__ == "__main__":
    _child_main(sys.argv[1:])

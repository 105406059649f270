"""chatproject/jobs/limits.py: a job runs in a child process under limits it cannot lift, and the one that
goes over its memory, CPU or wall-time limit is stopped alone, named by the limit, while the process
that started it lives on. The jobs below are what the child runs (by dotted path)."""

import contextlib
import resource
import time

import pytest

from chatproject.jobs.limits import JobLimit, JobLimits, job_run_limited

HERE = "tests.chatproject.test_jobs"
LIMITS = JobLimits(memory_mb=200, cpu_seconds=2, wall_seconds=20)


def allocate_past_the_limit(*, job_id: str) -> None:
    held = []
    while True:
        held.append(bytearray(16 * 1024 * 1024))  # 16 MB at a time, touched by zeroing


def spin(*, job_id: str) -> None:
    while True:
        pass


def sleep(*, job_id: str) -> None:
    time.sleep(60)


def raise_the_limits(*, job_id: str) -> None:
    """An honest job within its limits, which tries to lift them (and must not manage)."""
    memory, _ = resource.getrlimit(resource.RLIMIT_DATA)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (memory * 4, memory * 4))
    allocate_past_the_limit(job_id=job_id)


def finish(*, job_id: str) -> None:
    assert job_id == "42"


def test_a_job_within_its_limits_ends_as_it_ran():
    outcome = job_run_limited(function=f"{HERE}.finish", arguments={"job_id": "42"}, limits=LIMITS)
    assert outcome.stopped_by is None
    assert outcome.peak_rss_mb < LIMITS.memory_mb


def test_a_job_that_allocates_past_its_memory_limit_is_stopped_by_it():
    outcome = job_run_limited(function=f"{HERE}.allocate_past_the_limit", arguments={"job_id": "1"}, limits=LIMITS)
    assert outcome.stopped_by == JobLimit.MEMORY
    assert outcome.peak_rss_mb < LIMITS.memory_mb + 30
    assert outcome.wall_seconds < 10


def can_raise_limits() -> bool:
    """Whether this process may raise a hard limit (root with CAP_SYS_RESOURCE, bit 24)."""
    with open("/proc/self/status") as status:
        effective = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
    return bool(effective & (1 << 24))


@pytest.mark.skipif(can_raise_limits(), reason="this process may raise hard limits (CAP_SYS_RESOURCE)")
def test_a_job_cannot_lift_its_memory_limit():
    outcome = job_run_limited(function=f"{HERE}.raise_the_limits", arguments={"job_id": "1"}, limits=LIMITS)
    assert outcome.stopped_by == JobLimit.MEMORY
    assert outcome.peak_rss_mb < LIMITS.memory_mb + 30


def test_a_job_that_spins_past_its_cpu_limit_is_stopped_by_it():
    outcome = job_run_limited(function=f"{HERE}.spin", arguments={"job_id": "1"}, limits=LIMITS)
    assert outcome.stopped_by == JobLimit.CPU
    assert outcome.wall_seconds < 15


def test_a_job_past_its_wall_time_is_stopped_and_its_heart_beat_meanwhile():
    beats = []
    limits = JobLimits(memory_mb=200, cpu_seconds=2, wall_seconds=3)
    outcome = job_run_limited(
        function=f"{HERE}.sleep",
        arguments={"job_id": "1"},
        limits=limits,
        heartbeat=lambda: beats.append(1),
        heartbeat_seconds=0.5,
    )
    assert outcome.stopped_by == JobLimit.WALL
    assert 3 <= outcome.wall_seconds < 6
    assert len(beats) >= 3

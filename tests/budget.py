"""Run a callable under a memory and CPU budget, in a child process, and fail the test when it goes over.

    from tests.budget import within_budget

    def test_the_reader_stays_small_on_deep_nesting():
        data = b'[{"mapping":' + b"[" * 60_000 + b"]" * 60_000 + b"}]"
        outcome = within_budget(lambda: read_everything(data), memory_mb=64, cpu_seconds=2)
        assert outcome == ...  # what the callable returned (it must pickle)

The callable runs in a forked child (so closures and test data need no pickling), which the test
process waits for: `memory_mb` is how much memory the child may add to what the test process held
when it forked (Linux's RLIMIT_DATA: heap and private writable mappings, so a file mapped read-only
costs nothing), `cpu_seconds` the CPU time it may spend (measured; RLIMIT_CPU kills a spinning child a
second later), `wall_seconds` how long the test waits for it at most. Going over any of them fails the
test with a message naming the budget; an exception the callable raises is raised again in the test.
The child must not use the database connection it inherits: give it bytes, not rows.
"""

import math
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

# The child's answer when an allocation failed under the budget.
_OUT_OF_MEMORY = "out of memory"


def within_budget(
    function: Callable[[], Any], *, memory_mb: float, cpu_seconds: float, wall_seconds: float = 60
) -> Any:
    """Call `function()` in a child process under the budget; returns what it returned."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        _child_run(function, writer, memory_mb=memory_mb, cpu_seconds=cpu_seconds)
    os.close(writer)
    payload, deadline, timed_out = b"", time.monotonic() + wall_seconds, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([reader], [], [], left)[0]:
                timed_out = True
                break
            chunk = os.read(reader, 1 << 20)
            if not chunk:
                break
            payload += chunk
    finally:
        os.close(reader)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    if timed_out:
        pytest.fail(f"It did not finish within {wall_seconds} s (budget: {cpu_seconds} s of CPU, spent {cpu:.2f} s).")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        pytest.fail(f"It needed more than {cpu_seconds} s of CPU (killed after {cpu:.2f} s).")
    if not payload:
        pytest.fail(f"The child process died without an answer (wait status {status}, {cpu:.2f} s of CPU).")
    kind, value = pickle.loads(payload)  # noqa: S301 - written by our own child process
    if kind == _OUT_OF_MEMORY:
        pytest.fail(f"It needed more than {memory_mb} MB of memory (an allocation failed after {cpu:.2f} s of CPU).")
    if cpu > cpu_seconds:
        pytest.fail(f"It needed more than {cpu_seconds} s of CPU (spent {cpu:.2f} s).")
    if kind == "raised":
        raise value
    return value


def _child_run(function: Callable[[], Any], writer: int, *, memory_mb: float, cpu_seconds: float) -> None:
    try:
        held = _data_bytes()
        limit = held + int(memory_mb * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        cpu_limit = math.ceil(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))
        try:
            answer = ("returned", function())
        except MemoryError:
            answer = (_OUT_OF_MEMORY, None)
        except BaseException as exc:  # raised again in the test
            answer = ("raised", exc)
        try:
            payload = pickle.dumps(answer)
        except Exception:
            unpicklable = AssertionError(f"It answered something that does not pickle: {answer!r}")
            payload = pickle.dumps(("raised", unpicklable))
        with os.fdopen(writer, "wb") as out:
            out.write(payload)
    finally:
        os._exit(0)  # never back into pytest: no atexit, no database connection closed for the parent


def _data_bytes() -> int:
    """What counts against RLIMIT_DATA now (VmData)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmData in /proc/self/status")

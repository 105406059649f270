"""tests/budget.py: the helper that holds a callable to a memory and CPU budget fails the test when it
goes over, and gives back what the callable answered when it does not."""

import time

import pytest

from tests.budget import within_budget


def test_it_gives_back_what_the_callable_returned_within_its_budget():
    assert within_budget(lambda: sum(range(1000)), memory_mb=16, cpu_seconds=1) == 499500


def test_it_fails_the_test_when_the_callable_needs_more_memory():
    with pytest.raises(pytest.fail.Exception, match="more than 32 MB of memory"):
        within_budget(lambda: bytearray(200 * 1024 * 1024), memory_mb=32, cpu_seconds=5)


def test_it_fails_the_test_when_the_callable_spins_past_its_cpu_budget():
    def spin():
        while True:
            pass

    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="more than 1 s of CPU"):
        within_budget(spin, memory_mb=16, cpu_seconds=1)
    assert time.monotonic() - started < 10


def test_it_raises_again_what_the_callable_raised():
    def refuse():
        raise ValueError("nesting too deep")

    with pytest.raises(ValueError, match="nesting too deep"):
        within_budget(refuse, memory_mb=16, cpu_seconds=1)

"""The flush after each transactional test, run again when PostgreSQL ends it as a deadlock.

A browser or worker test ends while a server may still be writing: a socket that was connecting
when the page closed stores its lease, a reply runs to its end when its tab is gone. The tests wait
for what they can see (tests/servers.wait_until_sockets_closed, job_worker), but a write that has
not shown itself yet can still meet the flush's TRUNCATE, which locks the tables one by one:
PostgreSQL then ends one of the two as a deadlock. When the flush is the one ended, the other
transaction goes on to its end and a second TRUNCATE empties the tables, its rows too; without
this, the failed flush left the test's rows for the next test (CI met it as a duplicate owner).
"""

import functools
import logging
import os

from django.db import utils

logger = logging.getLogger(__name__)

DEADLOCK_DETECTED = "40P01"
ATTEMPTS = 5
# The tests whose flush ran again, reported at the end of the run (tests/conftest.py): a server that
# keeps writing after its tests shows there rather than in a warning nobody reads.
RAN_AGAIN: list[str] = []


def _deadlocked(exc: utils.OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


def again_after_a_deadlock(execute_sql_flush):
    @functools.wraps(execute_sql_flush)
    def execute(self, sql_list):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return execute_sql_flush(self, sql_list)
            except utils.OperationalError as exc:  # its atomic block has rolled the flush back
                if attempt == ATTEMPTS or not _deadlocked(exc):
                    raise
                logger.warning("the test database's flush met a write as a deadlock; flushing again")
                RAN_AGAIN.append(os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0])

    return execute

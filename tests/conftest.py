import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests import db_flush
from tests.factories import UserFactory
from tests.servers import ARTIFACTS, database_url_of_tests, start_daphne, stop_process, wait_until_sockets_closed

REQUIRED_SERVICES = ("DATABASE_URL", "REDIS_URL")


def pytest_configure(config):
    # The suite runs on real PostgreSQL and Redis; it never falls back quietly to SQLite or memory.
    missing = [name for name in REQUIRED_SERVICES if not os.environ.get(name)]
    if missing:
        pytest.exit(
            f"{' and '.join(missing)} not set: the suite needs real PostgreSQL and Redis. "
            "Run it with `make test`, which starts throwaway servers, or point these variables at yours.",
            returncode=3,
        )


def pytest_terminal_summary(terminalreporter):
    if db_flush.RAN_AGAIN:
        terminalreporter.write_sep("-", "database flushes run again after a deadlock with a late write")
        for test in db_flush.RAN_AGAIN:
            terminalreporter.write_line(test)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Browser tests last: Playwright's sync API keeps an event loop running in the main thread,
    # and async tests after it could not start their own.
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(scope="session", autouse=True)
def _flush_again_after_a_deadlock():
    """tests/db_flush.py says why."""
    from chatproject.db.postgresql.base import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = db_flush.again_after_a_deadlock(original)
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(scope="session", autouse=True)
def _close_the_pool_before_dropping_the_test_database(django_db_setup, django_db_blocker):
    yield
    with django_db_blocker.unblock():
        # The connection first: closing a pooled connection reads `connection.pool`, which opens a
        # new pool (and its connections to the test database) when none is there, and the test
        # database could then not be dropped.
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()
        # Threads of this process that ran ORM work keep the connection they last used (the ORM
        # threads of conversation/db_threads.py between calls, asgiref's thread-sensitive thread
        # after a socket test), idle; they cannot be closed from here, and the test database
        # cannot be dropped while they are open: their server sessions are ended instead.
        others = "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        name = [connection.settings_dict["NAME"]]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"SELECT pg_terminate_backend(pid) {others}", name)
            for _ in range(50):  # a terminated session takes a moment to end
                cursor.execute(f"SELECT count(*) {others}", name)
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.1)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", display_name="Olive Owner")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", display_name="Otto Outsider")


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def assert_statements():
    """Like django_assert_num_queries, but counts the SQL a production request sends: the SAVEPOINTs
    that the test's wrapping transaction turns each atomic() into are left out (in production the
    outermost atomic() is a BEGIN, which Django does not log either)."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(expected: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        statements = [q["sql"] for q in context.captured_queries if "SAVEPOINT" not in q["sql"].upper()[:30]]
        assert len(statements) == expected, f"{len(statements)} statements, expected {expected}:\n" + "\n".join(
            statements
        )

    return check


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (throttle counters, context windows)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _offline_replies_without_pauses(settings):
    """The offline backend streams at once in tests (its pause is for people watching). No title or
    summary job is queued unless a test asks for them (tests/conversation/titles, summaries): a
    reply's job left in the queue would be taken by the session's worker while the test's data is
    flushed under it."""
    settings.ASSISTANT_BASE_URL = ""
    settings.ASSISTANT_OFFLINE_DELAY_SECONDS = 0
    settings.TITLES_BY_MODEL = False
    settings.SUMMARY_EVERY_MESSAGES = 0


@pytest.fixture(scope="session")
def model_server():
    """An OpenAI-compatible streaming server on loopback (tests/model_server.py)."""
    from tests.model_server import ModelServer

    server = ModelServer()
    yield server
    server.stop()


@pytest.fixture
def openai_backend(settings, model_server):
    """Point the assistant at the test model server."""
    settings.ASSISTANT_BASE_URL = model_server.url
    settings.ASSISTANT_API_KEY = "test-key"
    settings.ASSISTANT_MODEL = "test-model"
    settings.ASSISTANT_TIMEOUT_SECONDS = 5
    model_server.requests.clear()
    model_server.on_request = None
    return model_server


@pytest.fixture(scope="session")
def daphne_url(django_db_setup, django_db_blocker, model_server, exports_root, imports_root) -> str:
    """A Daphne process on a free port, on the test database and the test run's Redis, with the
    assistant pointed at the test model server."""
    with django_db_blocker.unblock():
        database_url = database_url_of_tests()
    env = {
        "DATABASE_URL": database_url,
        "DEBUG": "true",
        "DB_POOL_MIN_SIZE": "1",
        "ASSISTANT_BASE_URL": model_server.url,
        "ASSISTANT_MODEL": "test-model",
        # No title or summary job queued by a reply: one run by a worker after its test ended would
        # write while the test's flush truncates the tables (PostgreSQL ends one of the two as a deadlock).
        "TITLES_BY_MODEL": "false",
        "SUMMARY_EVERY_MESSAGES": "0",
        "EXPORTS_ROOT": str(exports_root),
        "IMPORTS_ROOT": str(imports_root),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    process, url = start_daphne(env=env, log=ARTIFACTS / "daphne.log")
    yield url
    stop_process(process)


@pytest.fixture
def live_url(daphne_url, transactional_db):
    """The server's URL, for a test whose data is committed so that Daphne sees it (seeded rows restored).

    Torn down after the test's browser and sockets and before the database flush: it waits until
    the server has handled their closing (it deletes their leases), so that the flush's TRUNCATE
    does not meet those writes (PostgreSQL would end one of the two as a deadlock).
    """
    yield daphne_url
    wait_until_sockets_closed()


@pytest.fixture(scope="session")
def exports_root(tmp_path_factory) -> Path:
    """The exports' storage of the whole run: the test process and the job worker share it."""
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="session")
def imports_root(tmp_path_factory) -> Path:
    """The uploads' storage of the whole run, shared as the exports' is."""
    return tmp_path_factory.mktemp("imports")


@pytest.fixture(autouse=True)
def _files_in_temporary_folders(settings, exports_root, imports_root):
    """The exports' and the uploads' storages in the run's folders, which the worker shares."""
    local = "django.core.files.storage.FileSystemStorage"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": local, "OPTIONS": {"location": exports_root}},
        "imports": {"BACKEND": local, "OPTIONS": {"location": imports_root}},
    }


@pytest.fixture(scope="session")
def _job_workers(django_db_setup, django_db_blocker, exports_root, imports_root):
    """The session's worker, started again by job_worker when it has died."""
    workers: list[subprocess.Popen] = []
    yield workers
    for process in workers:
        stop_process(process)


@pytest.fixture
def job_worker(_job_workers, django_db_blocker, exports_root, imports_root):
    """A real background worker (`manage.py db_worker`, as make run and make serve start it) on the
    test database: tests that use it commit their data (transaction=True). One for the session; a
    new one when it died (django-tasks' worker exits when a job's row is deleted while it runs it,
    as a test's flush does to a job another test left)."""
    if not _job_workers or _job_workers[-1].poll() is not None:
        with django_db_blocker.unblock():
            _job_workers.append(_job_worker_start(exports_root, imports_root, name="db_worker"))
    yield _job_workers[-1]
    # Before the test's flush: the jobs it queued and did not wait for (an import accepted at its
    # end) run to their end, so that their writes never meet the flush's TRUNCATE.
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + 30
    with django_db_blocker.unblock():
        while DBTaskResult.objects.filter(status__in=("READY", "RUNNING")).exists() and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture
def second_job_worker(job_worker, django_db_blocker, exports_root, imports_root):
    """Another worker beside job_worker, as make run and make serve start two (JOB_WORKERS)."""
    with django_db_blocker.unblock():
        process = _job_worker_start(exports_root, imports_root, name="db_worker_2")
    yield process
    stop_process(process)


@pytest.fixture
def export_worker(job_worker, django_db_blocker, exports_root, imports_root):
    """The worker that takes account exports only, as make run and make serve start one."""
    with django_db_blocker.unblock():
        process = _job_worker_start(exports_root, imports_root, name="db_worker_exports", queues="exports")
    yield process
    stop_process(process)


def _job_worker_start(exports_root, imports_root, *, name: str, queues: str = "*") -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "DATABASE_URL": database_url_of_tests(),
        "EXPORTS_ROOT": str(exports_root),
        "IMPORTS_ROOT": str(imports_root),
        "DB_POOL_MIN_SIZE": "1",
        # A running job's heart beats every third of these (chatproject/jobs/limits.py): tests that shorten
        # the stall time in the test process see it beat.
        "IMPORT_STALL_SECONDS": "3",
        "EXPORT_STALL_SECONDS": "3",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--queue-name",
            queues,
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        stdout=(ARTIFACTS / f"{name}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )

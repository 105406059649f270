"""chatproject.body_limit: a request body over its limit is answered 413 (JSON) while it arrives, with
or without Content-Length: through the ASGI application, the WSGI application and a real gunicorn
(Daphne's own piece is tested on a real Daphne in test_daphne.py)."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator

from chatproject.asgi import application as asgi_application
from chatproject.body_limit import FORM_OVERHEAD_BYTES
from chatproject.wsgi import application as wsgi_application
from tests.chatproject.raw_http import post_body
from tests.chatproject.test_daphne import assert_refused, peak_rss_mb
from tests.clients import api_token
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.servers import ARTIFACTS, ROOT, database_url_of_tests, free_port, stop_process, wait_for_port

IMPORT_LIMIT = 1024 * 1024
API_LIMIT = 64 * 1024
IMPORT_DETAIL = f"The file is over the limit of {IMPORT_LIMIT} bytes."
API_DETAIL = f"The request body is over the limit of {API_LIMIT} bytes."


@pytest.fixture
def small_limits(settings):
    settings.IMPORT_MAX_BYTES = IMPORT_LIMIT
    settings.API_MAX_BODY_BYTES = API_LIMIT


# ASGI


def http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def asgi_answer(communicator: ApplicationCommunicator) -> tuple[int, dict, bytes]:
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    return start["status"], dict(start["headers"]), body["body"]


async def test_asgi_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(small_limits):
    scope = http_scope("/api/imports/", [(b"content-length", str(IMPORT_LIMIT + FORM_OVERHEAD_BYTES + 1).encode())])
    communicator = ApplicationCommunicator(asgi_application, scope)
    status, headers, body = await asgi_answer(communicator)  # no body message was ever given
    assert status == 413
    assert headers[b"Content-Type"] == b"application/json"
    assert json.loads(body) == {"detail": IMPORT_DETAIL}
    await communicator.wait(5)


async def test_asgi_a_body_without_length_is_refused_once_it_passes_the_limit(small_limits):
    communicator = ApplicationCommunicator(asgi_application, http_scope("/api/sessions/", []))
    block = b"x" * 16384
    for _ in range(API_LIMIT // len(block) + 1):
        await communicator.send_input({"type": "http.request", "body": block, "more_body": True})
    status, _, body = await asgi_answer(communicator)
    assert status == 413
    assert json.loads(body) == {"detail": API_DETAIL}
    await communicator.wait(5)  # the application heard a disconnect and ended without answering
    assert await communicator.receive_nothing(0.1)


async def test_asgi_a_body_within_the_limit_reaches_the_application(small_limits):
    communicator = ApplicationCommunicator(asgi_application, http_scope("/api/no-such-thing/", []))
    await communicator.send_input({"type": "http.request", "body": b"x" * API_LIMIT, "more_body": False})
    status, _, body = await asgi_answer(communicator)
    assert (status, json.loads(body)) == (404, {"detail": "Not found."})


# WSGI


class CountedInput(io.RawIOBase):
    """A request body that counts what was read of it."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, 65536)
        buffer[:n] = b"x" * n
        self.left -= n
        self.read_bytes += n
        return n


def wsgi_answer(path: str, body: CountedInput, **environ) -> tuple[str, dict, bytes]:
    answered = {}
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BufferedReader(body),
        "wsgi.errors": sys.stderr,
        **environ,
    }
    chunks = wsgi_application(environ, lambda status, headers: answered.update(status=status, headers=dict(headers)))
    return answered["status"], answered["headers"], b"".join(chunks)


def test_wsgi_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(small_limits):
    body = CountedInput(API_LIMIT + 1)
    status, headers, content = wsgi_answer("/api/sessions/", body, CONTENT_LENGTH=str(API_LIMIT + 1))
    assert status.startswith("413")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content) == {"detail": API_DETAIL}
    assert body.read_bytes == 0


def test_wsgi_a_chunked_body_is_refused_once_it_passes_the_limit_and_read_no_further(small_limits):
    body = CountedInput(64 * IMPORT_LIMIT)
    status, _, content = wsgi_answer("/api/imports/", body, HTTP_TRANSFER_ENCODING="chunked")
    assert status.startswith("413")
    assert json.loads(content) == {"detail": IMPORT_DETAIL}
    assert body.read_bytes <= IMPORT_LIMIT + FORM_OVERHEAD_BYTES + 65536


# A real gunicorn, as `make serve` runs it (deploy/gunicorn.conf.py)


@pytest.fixture(scope="module")
def gunicorn_url(django_db_setup, django_db_blocker, imports_root):
    with django_db_blocker.unblock():
        database_url = database_url_of_tests()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | {
        "DATABASE_URL": database_url,
        "DB_POOL_MIN_SIZE": "1",
        "HTTP_BIND": f"127.0.0.1:{port}",
        "HTTP_WORKERS": "1",
        "HTTP_THREADS": "2",
        "IMPORT_MAX_BYTES": str(IMPORT_LIMIT),
        "API_MAX_BODY_BYTES": str(API_LIMIT),
        "IMPORTS_ROOT": str(imports_root),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=(ARTIFACTS / "gunicorn-body-limit.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop_process(process)


def gunicorn_worker_pid(master_pid: int) -> int:
    [pid] = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return int(pid)


FORM = {"Content-Type": "multipart/form-data; boundary=b0undary"}


def test_gunicorn_refuses_a_body_declared_over_the_limit_before_a_byte_is_sent(gunicorn_url):
    url, _ = gunicorn_url
    answer = post_body(url, "/api/sessions/", size=API_LIMIT + 1, headers=FORM, first_wait=5)
    assert answer.sent == 0
    assert_refused(answer, API_DETAIL)


def test_gunicorn_refuses_a_chunked_upload_over_the_limit_as_it_arrives_and_never_holds_it(gunicorn_url):
    url, master = gunicorn_url
    post_body(url, "/api/no-such-thing/", size=10)  # the worker warmed up
    worker = gunicorn_worker_pid(master.pid)
    before = peak_rss_mb(worker)
    answer = post_body(url, "/api/imports/", size=96 * 1024 * 1024, chunked=True, headers=FORM)
    assert_refused(answer, IMPORT_DETAIL)
    assert answer.sent < IMPORT_LIMIT + 32 * 1024 * 1024
    assert peak_rss_mb(worker) - before < 16


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gunicorn_reads_a_chunked_body_within_the_limit_whole(gunicorn_url):
    url, _ = gunicorn_url
    UserFactory(email="chunked-wsgi@example.com")
    with httpx.Client(base_url=url) as client:
        token = api_token(client, email="chunked-wsgi@example.com", password=DEFAULT_PASSWORD)
    body = json.dumps({"title": "Sent in chunks"}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    answer = post_body(url, "/api/sessions/", size=len(body), body=body, chunked=True, block=7, headers=headers)
    assert answer.status == 201, answer.body
    assert json.loads(answer.body)["title"] == "Sent in chunks"

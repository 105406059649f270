"""python -m chatproject.daphne: Daphne started with the project's socket limits."""

import json
import re
from pathlib import Path

import httpx
import pytest
from daphne.cli import CommandLineInterface

from chatproject import daphne
from chatproject.body_limit import FORM_OVERHEAD_BYTES
from tests.chatproject.raw_http import post_body
from tests.clients import api_token
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.servers import ARTIFACTS, database_url_of_tests, start_daphne, stop_process


def test_it_passes_the_frame_limit_and_the_handshake_timeout_from_settings(settings, monkeypatch):
    settings.WS_MAX_FRAME_BYTES = 1234
    settings.WS_CONNECT_TIMEOUT_SECONDS = 45
    started = []
    monkeypatch.setattr(CommandLineInterface, "run", lambda self, args: started.append(args))
    daphne.main(["-p", "9000", "chatproject.asgi:application"])
    [args] = started
    assert args[args.index("--websocket-max-frame-size") + 1] == "1234"
    assert args[args.index("--websocket-max-message-size") + 1] == "1234"
    assert args[args.index("--websocket_connect_timeout") + 1] == "45"
    assert args[-3:] == ["-p", "9000", "chatproject.asgi:application"]
    # Daphne's own parser takes them.
    parsed = CommandLineInterface().parser.parse_args(args)
    assert parsed.websocket_connect_timeout == 45


# The request body limit under Daphne (chatproject/body_limit.py), on a real Daphne process with
# small limits.
IMPORT_LIMIT = 16 * 1024 * 1024
API_LIMIT = 64 * 1024
FORM = {"Content-Type": "multipart/form-data; boundary=b0undary"}


@pytest.fixture(scope="module")
def small_limits_daphne(django_db_setup, django_db_blocker, imports_root):
    with django_db_blocker.unblock():
        database_url = database_url_of_tests()
    env = {
        "DATABASE_URL": database_url,
        "DB_POOL_MIN_SIZE": "1",
        "IMPORT_MAX_BYTES": str(IMPORT_LIMIT),
        "API_MAX_BODY_BYTES": str(API_LIMIT),
        "IMPORTS_ROOT": str(imports_root),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    process, url = start_daphne(env=env, log=ARTIFACTS / "daphne-body-limit.log")
    yield process, url
    stop_process(process)


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def assert_refused(answer, detail: str) -> None:
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/json"
    assert json.loads(answer.body) == {"detail": detail}


@pytest.mark.parametrize(
    ("path", "limit", "detail"),
    [
        ("/api/imports/", IMPORT_LIMIT + FORM_OVERHEAD_BYTES, f"The file is over the limit of {IMPORT_LIMIT} bytes."),
        ("/api/sessions/", API_LIMIT, f"The request body is over the limit of {API_LIMIT} bytes."),
        ("/accounts/login/", API_LIMIT, f"The request body is over the limit of {API_LIMIT} bytes."),
    ],
)
def test_a_body_declared_over_its_limit_is_refused_before_a_byte_of_it_is_sent(
    small_limits_daphne, path, limit, detail
):
    _, url = small_limits_daphne
    answer = post_body(url, path, size=limit + 1, headers=FORM, first_wait=5)
    assert answer.sent == 0
    assert_refused(answer, detail)


def test_a_chunked_upload_over_the_limit_is_refused_as_it_arrives_and_never_held(small_limits_daphne):
    process, url = small_limits_daphne
    post_body(url, "/api/sessions/", size=10, headers={"Content-Type": "application/json"})  # warmed up
    before = peak_rss_mb(process.pid)
    size = 96 * 1024 * 1024
    answer = post_body(url, "/api/imports/", size=size, chunked=True, headers=FORM)
    assert_refused(answer, f"The file is over the limit of {IMPORT_LIMIT} bytes.")
    # The answer came while the body was being sent: what was sent by then is the limit and what
    # the sockets' buffers took.
    assert answer.sent < IMPORT_LIMIT + 32 * 1024 * 1024
    assert peak_rss_mb(process.pid) - before < 16


def test_a_form_within_the_limit_is_passed_on_without_being_parsed_in_memory(small_limits_daphne):
    """Twisted parsed every POSTed form whole for nothing: some ten times its size in memory."""
    process, url = small_limits_daphne
    part = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\n\r\n'
    post_body(url, "/api/imports/", size=0, body=part + b"[]\r\n--b0undary--\r\n", headers=FORM)  # warmed up
    before = peak_rss_mb(process.pid)
    size = 12 * 1024 * 1024
    body = part + b"x" * size + b"\r\n--b0undary--\r\n"
    answer = post_body(url, "/api/imports/", size=0, body=body, headers=FORM, block=1024 * 1024)
    assert answer.status == 401  # read whole, then refused for its missing credentials
    # Daphne itself holds a body whole (queued for the application at once): once, not ten times.
    assert peak_rss_mb(process.pid) - before < 2 * size / 2**20 + 8


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chunked_body_within_the_limit_is_read_whole(small_limits_daphne):
    _, url = small_limits_daphne
    UserFactory(email="chunked@example.com")
    with httpx.Client(base_url=url) as client:
        token = api_token(client, email="chunked@example.com", password=DEFAULT_PASSWORD)
    body = json.dumps({"title": "Sent in chunks"}).encode()
    answer = post_body(
        url,
        "/api/sessions/",
        size=len(body),
        body=body,
        chunked=True,
        block=7,
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    assert answer.status == 201, answer.body
    assert json.loads(answer.body)["title"] == "Sent in chunks"

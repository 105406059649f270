"""`make serve`'s topology, started by its own script: nginx in front of gunicorn (2 workers) and two
Daphne processes, on the test database and Redis. A page signed in through nginx chats; pages pinned
to each Daphne process (loaded from it directly, so their sockets are its own) see every event live,
whichever process caused it; SSE through nginx streams; static files and readiness answer."""

import os
import re
import signal
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from accounts import services as accounts_services
from tests.factories import DEFAULT_PASSWORD
from tests.imports import samples
from tests.servers import ARTIFACTS, database_url_of_tests, start_topology, stop_topology, wait_until_sockets_closed


@pytest.fixture(scope="module")
def topology(django_db_setup, django_db_blocker, model_server, exports_root, imports_root):
    """scripts/serve.sh running with 2 gunicorn workers and 2 Daphne processes (tests/servers.py)."""
    with django_db_blocker.unblock():
        database_url = database_url_of_tests()
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "topology-test-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTP_WORKERS": "2",
        "WS_WORKERS": "2",
        "DB_POOL_MIN_SIZE": "1",
        "ASSISTANT_BASE_URL": model_server.url,
        "ASSISTANT_MODEL": "test-model",
        # No title or summary job queued by a reply: one run by a worker after its test ended would
        # write while the test's flush truncates the tables (PostgreSQL ends one of the two as a deadlock).
        "TITLES_BY_MODEL": "false",
        "SUMMARY_EVERY_MESSAGES": "0",
        "LOG_LEVEL": "WARNING",
        "EXPORTS_ROOT": str(exports_root),
        "IMPORTS_ROOT": str(imports_root),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "serve.log"
    process, servers = start_topology(env=env, log=log)
    assert len(servers["daphne"]) == 2
    yield servers
    assert stop_topology(process, servers) == 143, log.read_text()[-3000:]
    with pytest.raises(ProcessLookupError):  # nothing it started is left running
        os.killpg(process.pid, 0)


@pytest.fixture
def serve(topology, transactional_db):
    """The topology, for a test whose data is committed so that its processes see it."""
    yield topology
    wait_until_sockets_closed()


def sign_in(page: Page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("html[data-ready=true]", state="attached")


def send(page: Page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def test_readiness_answers_through_nginx(serve):
    response = httpx.get(f"{serve['url']}/health/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "cache": True}, "failed": []}


def test_a_job_worker_that_dies_is_started_again_while_the_rest_serves_on(serve, owner):
    log = ARTIFACTS / "serve.log"
    started = r"Background worker 1 started \(pid (\d+);"
    pid = int(re.findall(started, log.read_text())[-1])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while int(re.findall(started, log.read_text())[-1]) == pid:
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    assert f"Background worker 1 (pid {pid}) killed by signal KILL: starting it again" in log.read_text()
    assert httpx.get(f"{serve['url']}/health/ready/").status_code == 200


def test_hashed_static_files_are_cached_for_a_year_and_plain_names_revalidated(serve):
    hashed = next(
        path for path in (serve["static_root"] / "js").glob("chat.*.js") if re.search(r"\.[0-9a-f]{12}\.js$", path.name)
    )
    response = httpx.get(f"{serve['url']}/static/js/{hashed.name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"  # collectstatic's .gz, sent as it is
    assert response.text == hashed.read_text()
    plain = httpx.get(f"{serve['url']}/static/js/chat.js")
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == "no-cache"


def test_a_reply_streamed_as_sse_through_nginx_delivers_its_first_delta_before_the_end(serve, owner):
    _, key = accounts_services.device_token_create(user=owner, name="SSE client")
    headers = {"Authorization": f"Token {key}"}
    session = httpx.post(f"{serve['url']}/api/sessions/", json={"title": "SSE"}, headers=headers).json()
    headers["Accept"] = "text/event-stream"
    seen: dict[str, float] = {}
    start = time.monotonic()
    body = {"text": "[slow] one two three four five six", "client_id": "sse-1"}
    with httpx.stream(
        "POST", f"{serve['url']}/api/sessions/{session['id']}/reply/", json=body, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                seen.setdefault(line.removeprefix("event: "), time.monotonic() - start)
    # The model writes a word every 0.3 s (nine words): the first reaches us seconds before the end.
    assert set(seen) >= {"start", "delta", "done"}
    assert seen["done"] - seen["delta"] > 1.5, seen


def test_an_export_streams_from_gunicorn_through_nginx(serve, owner):
    _, key = accounts_services.device_token_create(user=owner, name="Exporter")
    headers = {"Authorization": f"Token {key}"}
    session = httpx.post(f"{serve['url']}/api/sessions/", json={"title": "Long"}, headers=headers).json()
    lines = [{"role": "user", "text": f"line {n} " + "x" * 200} for n in range(1200)]
    for start in range(0, len(lines), 400):
        stored = httpx.post(
            f"{serve['url']}/api/sessions/{session['id']}/utterances/",
            json={"utterances": lines[start : start + 400]},
            headers=headers,
        )
        assert stored.status_code == 201, stored.text
    with httpx.stream(
        "GET", f"{serve['url']}/api/sessions/{session['id']}/export/?format=json", headers=headers
    ) as response:
        assert response.status_code == 200
        assert "Content-Length" not in response.headers  # streamed as it is made, not gathered first
        chunks = list(response.iter_raw())
    assert len(chunks) > 1
    export = httpx.Response(200, content=b"".join(chunks)).json()
    assert [message["text"].split()[:2] for message in export["messages"]] == [["line", str(n)] for n in range(1200)]


def test_an_account_export_runs_on_the_topologys_worker_and_downloads_through_nginx(serve, owner):
    _, key = accounts_services.device_token_create(user=owner, name="Exporter")
    headers = {"Authorization": f"Token {key}"}
    httpx.post(f"{serve['url']}/api/sessions/", json={"title": "In the zip"}, headers=headers)
    started = httpx.post(f"{serve['url']}/api/account/export/", headers=headers)
    assert started.status_code == 202
    deadline = time.monotonic() + 30
    while (state := httpx.get(f"{serve['url']}{started.headers['Location']}", headers=headers).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["status"] == "done", state
    download = httpx.get(f"{serve['url']}{state['download']}", headers=headers)
    assert download.status_code == 200
    assert len(download.content) == state["size"]


def test_an_import_larger_than_the_apis_body_limit_goes_through_nginx_to_the_worker(serve, owner):
    _, key = accounts_services.device_token_create(user=owner, name="Importer")
    headers = {"Authorization": f"Token {key}"}
    data = samples.as_json([samples.chatgpt_linear("big", title="Through nginx")]) + b" " * 6_000_000  # > 5 MB

    started = httpx.post(f"{serve['url']}/api/imports/", files={"file": ("c.json", data)}, headers=headers)

    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 30
    while (state := httpx.get(f"{serve['url']}{started.headers['Location']}", headers=headers).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert (state["status"], state["summary"]["imported"]) == ("done", 1), state


def test_pages_on_either_daphne_process_see_every_event_live(serve, owner, page: Page):
    sign_in(page, serve["url"], owner)
    # Every module of the page comes under its hashed name (the import map), none by its plain name.
    scripts = []
    page.on("request", lambda request: request.resource_type == "script" and scripts.append(request.url))
    page.reload()
    page.wait_for_selector("html[data-ready=true]", state="attached")
    assert len(scripts) >= 8
    assert [url for url in scripts if not re.search(r"\.[0-9a-f]{12}\.js$", url)] == []

    send(page, "[slow] hello through nginx")
    expect(page.locator("#streaming-text")).to_contain_text("Echo:")  # streaming, before the end
    expect(page.locator("#message-list li.message.assistant")).to_contain_text(
        ["Echo: [slow] hello through nginx"], timeout=15000
    )
    expect(page).to_have_url(re.compile(r"/c/[0-9a-f-]{36}/$"))
    path = page.url.removeprefix(serve["url"])
    session_id = path.split("/")[2]

    # Cookies belong to the host, not the port: these pages are signed in too, each on one process.
    pinned = []
    for daphne in serve["daphne"]:
        other = page.context.new_page()
        other.goto(f"{daphne}{path}")
        other.wait_for_selector("html[data-ready=true]", state="attached")
        expect(other.locator("#message-list li.message.assistant")).to_have_count(1)
        pinned.append(other)

    # A turn over the nginx page's socket (one Daphne process or the other): both pinned pages see it.
    send(page, "[slow] second turn")
    for other in pinned:
        expect(other.locator("#streaming-text")).to_contain_text("Echo:", timeout=15000)
    for other in pinned:
        expect(other.locator("#message-list li.message.assistant").last).to_have_text(
            re.compile("Echo: \\[slow\\] second turn"), timeout=15000
        )
        expect(other.locator("#message-list li.message.user")).to_have_count(2)

    # A write through gunicorn (the API): every page sees it, and the sidebar's title change.
    _, key = accounts_services.device_token_create(user=owner, name="Voice agent")
    headers = {"Authorization": f"Token {key}"}
    appended = httpx.post(
        f"{serve['url']}/api/sessions/{session_id}/utterances/",
        json={"role": "user", "text": "said on the phone"},
        headers=headers,
    )
    assert appended.status_code == 201
    renamed = httpx.patch(
        f"{serve['url']}/api/sessions/{session_id}/", json={"title": "Renamed by API"}, headers=headers
    )
    assert renamed.status_code == 200
    for tab in (page, *pinned):
        expect(tab.locator("#message-list li.message.user").last).to_have_text(re.compile("said on the phone"))
        expect(tab.locator("#chat-title")).to_have_text("Renamed by API")

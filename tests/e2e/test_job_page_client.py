"""static/js/job.js in a real headless Chromium: the account page follows its export by the live event
on the user's socket (open only while a job is followed), and asks the server again only while that
socket is down. The page's timers run on Playwright's clock, so that "no polling" is a fact of the
test, not of a race."""

import signal

import pytest
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, expect

from account_data import services
from accounts.models import AccountExport

pytestmark = pytest.mark.django_db(transaction=True)

READY = "Your export is ready"


@pytest.fixture(autouse=True)
def _worker_held(job_worker, live_url):
    """The run's job worker (an earlier test's, or started now) held still: each test builds its
    export itself, when it chooses, and the page's view of it is not raced by a worker. The tasks
    the page queued are dropped before the worker goes on, so that it finds none to run while the
    database is emptied."""
    job_worker.send_signal(signal.SIGSTOP)
    yield
    DBTaskResult.objects.filter(status="READY").delete()
    job_worker.send_signal(signal.SIGCONT)


def export_reads(page: Page) -> list[str]:
    """The page's reads of an export's state (its detail URL), as they are made."""
    reads: list[str] = []

    def seen(request) -> None:
        path = request.url.split("?")[0]
        if request.method == "GET" and "/api/account/export/" in path and not path.endswith("/download/"):
            reads.append(path)

    page.on("request", seen)
    return reads


def export_started(page: Page, owner) -> AccountExport:
    """Start an export with the page's button; returns it once the page has read its state."""
    with page.expect_response(lambda response: "/api/account/export/" in response.url and response.status == 200):
        page.get_by_role("button", name="Export all my chats").click()
    expect(page.locator("#export-status")).to_contain_text("Your export is waiting to start")
    return AccountExport.objects.get(user=owner)


def test_the_page_follows_its_export_by_the_live_event_and_polls_no_more(live_url, signed_in: Page, owner):
    page = signed_in
    page.clock.install()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(f"{live_url}/accounts/")
    reads = export_reads(page)
    assert sockets == []  # no job going: the page holds none of the account's socket slots

    export = export_started(page, owner)
    page.wait_for_selector("html[data-live=true]", state="attached")
    page.clock.run_for(5000)  # five seconds of the page's timers: a polling page would have asked again
    services.account_export_build(export_id=str(export.pk))

    expect(page.locator("#export-status")).to_contain_text(READY)
    expect(page.locator("#export-download")).to_be_visible()
    detail = f"{live_url}/api/account/export/{export.pk}/"
    assert reads == [detail, detail]  # when followed, and once its socket opened: no more
    page.wait_for_selector("html[data-live=false]", state="attached")
    assert len(sockets) == 1
    if not sockets[0].is_closed():  # the export over, the page gives its socket back
        sockets[0].wait_for_event("close")


def test_while_the_socket_is_down_the_page_polls_the_export(live_url, signed_in: Page, owner):
    page = signed_in
    page.route_web_socket("**/ws/chat/", lambda socket: socket.close())
    page.clock.install()
    page.goto(f"{live_url}/accounts/")
    reads = export_reads(page)
    export = export_started(page, owner)

    services.account_export_build(export_id=str(export.pk))
    expect(page.locator("#export-status")).to_contain_text("Your export is waiting to start")
    page.clock.run_for(1000)  # the next poll

    expect(page.locator("#export-status")).to_contain_text(READY)
    assert len(reads) == 2
    assert page.evaluate("document.documentElement.dataset.live") != "true"

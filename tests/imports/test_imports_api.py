"""POST /api/imports/ and its reads, through HTTP: the upload kept on disk until its job has read it,
the state and the report, limits and another user's import."""

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from imports import services
from imports.models import ConversationImport
from tests.imports import samples

URL = "/api/imports/"


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


def upload(client, data: bytes, name: str = "conversations.json", **fields):
    return client.post(URL, {"file": SimpleUploadedFile(name, data), **fields}, format="multipart")


def stored_uploads() -> list[str]:
    return storages["imports"].listdir("")[1]


def test_an_upload_is_accepted_then_its_job_imports_it_and_deletes_the_file(api):
    data = samples.as_json([samples.chatgpt_trip(), samples.chatgpt_linear("plain")])

    response = upload(api, data)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"] == f"/api/imports/{body['id']}/"
    assert (body["status"], body["file_name"], body["progress"]["bytes_total"]) == (
        "queued",
        "conversations.json",
        len(data),
    )
    assert len(stored_uploads()) == 1
    services.conversation_import_run(import_id=body["id"])

    state = api.get(f"/api/imports/{body['id']}/").json()
    assert state["status"] == "done"
    assert state["format"] == "chatgpt"
    assert state["progress"] == {
        "conversations_done": 2,
        "conversations_total": None,
        "utterances": 12,
        "bytes_done": len(data),
        "bytes_total": len(data),
    }
    assert state["summary"] == {"imported": 2, "present": 0, "failed": 0, "skipped_turns": 5}
    assert stored_uploads() == []


def test_the_report_pages_each_conversations_result_in_file_order(api, owner):
    conversations = [samples.chatgpt_linear(f"c{n}", title=f"Chat {n}") for n in range(3)]
    started = upload(api, samples.as_json(conversations)).json()
    services.conversation_import_run(import_id=started["id"])

    first = api.get(f"/api/imports/{started['id']}/report/?limit=2").json()
    second = api.get(first["next"]).json()

    rows = first["results"] + second["results"]
    assert [(row["source_id"], row["title"], row["result"], row["utterances"]) for row in rows] == [
        ("c0", "Chat 0", "imported", 4),
        ("c1", "Chat 1", "imported", 4),
        ("c2", "Chat 2", "imported", 4),
    ]
    assert all(row["session_id"] and row["error"] == "" for row in rows)
    assert second["next"] is None


def test_the_list_shows_the_users_imports_newest_first(api):
    for n in range(2):
        started = upload(api, samples.as_json([samples.chatgpt_linear(f"c{n}")]), name=f"file{n}.json").json()
        services.conversation_import_run(import_id=started["id"])

    listed = api.get(URL).json()["results"]

    assert [item["file_name"] for item in listed] == ["file1.json", "file0.json"]


def test_another_users_import_is_not_found(api, outsider):
    started = upload(api, samples.as_json([samples.chatgpt_linear("mine")])).json()
    other = APIClient()
    other.force_authenticate(outsider)

    assert other.get(f"/api/imports/{started['id']}/").status_code == 404
    assert other.get(f"/api/imports/{started['id']}/report/").status_code == 404
    assert other.get(URL).json()["results"] == []
    assert api.get("/api/imports/not-an-id/").status_code == 404


def test_a_file_over_the_limit_is_answered_413_and_nothing_is_kept(api, settings):
    settings.IMPORT_MAX_BYTES = 100

    response = upload(api, b"[" + b" " * 150 + b"]")

    assert response.status_code == 413
    assert response.json() == {"detail": "The file is over the limit of 100 bytes."}
    assert not ConversationImport.objects.exists()
    assert stored_uploads() == []


def test_a_second_import_while_one_is_under_way_is_refused(api):
    upload(api, samples.as_json([samples.chatgpt_linear("one")]))

    response = upload(api, samples.as_json([samples.chatgpt_linear("two")]))

    assert response.status_code == 409
    assert "under way" in response.json()["detail"]
    assert ConversationImport.objects.count() == 1
    assert len(stored_uploads()) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "file"),
        ({"file": SimpleUploadedFile("empty.json", b"")}, "file"),
        ({"file": SimpleUploadedFile("c.json", b"[]"), "format": "myspace"}, "format"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, fields, field):
    response = api.post(URL, fields, format="multipart")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ConversationImport.objects.exists()


def test_a_file_of_another_format_than_the_one_named_fails_with_the_reason(api):
    started = upload(api, samples.as_json([samples.chatgpt_linear("c")]), format="claude").json()
    services.conversation_import_run(import_id=started["id"])

    state = api.get(f"/api/imports/{started['id']}/").json()
    assert state["status"] == "failed"
    assert state["error"].startswith("This file is ChatGPT's format, not Claude's")


def test_a_browser_uploads_with_its_csrf_token(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/accounts/")
    token = browser.cookies["csrftoken"].value

    refused = browser.post(URL, {"file": SimpleUploadedFile("c.json", b"[]")})
    accepted = browser.post(URL, {"file": SimpleUploadedFile("c.json", b"[]")}, headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 202


def test_erasing_the_account_deletes_the_upload_waiting_for_its_job(api, owner, django_capture_on_commit_callbacks):
    from account_data import services as accounts_services

    upload(api, samples.as_json([samples.chatgpt_linear("mine")]))
    assert len(stored_uploads()) == 1

    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.account_erase(user=owner)

    assert stored_uploads() == []


def test_the_list_pages_by_limit(api):
    for n in range(3):
        started = upload(api, samples.as_json([samples.chatgpt_linear(f"c{n}")]), name=f"file{n}.json").json()
        services.conversation_import_run(import_id=started["id"])

    first = api.get(URL, {"limit": 2}).json()
    second = api.get(first["next"]).json()

    assert [item["file_name"] for item in first["results"]] == ["file2.json", "file1.json"]
    assert ([item["file_name"] for item in second["results"]], second["next"]) == (["file0.json"], None)


@pytest.mark.parametrize("path", [URL, "/api/imports/{id}/report/"])
@pytest.mark.parametrize("limit", ["0", "-1", "many", "201", "1.5"])
def test_a_bad_limit_is_a_400_naming_it(api, path, limit):
    started = upload(api, samples.as_json([samples.chatgpt_linear("c")])).json()

    response = api.get(path.format(id=started["id"]), {"limit": limit})

    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["limit"]

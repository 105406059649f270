"""The whole-account export: started as a job, its status and progress, the zip it writes."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from account_data import services
from accounts.models import AccountExport
from conversation.branches.edits import utterance_edit
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from tests.helpers import say

URL = "/api/account/export/"


@pytest.fixture
def api(owner) -> APIClient:
    client = APIClient()
    client.force_authenticate(owner)
    return client


@pytest.fixture
def chats(owner):
    bread = session_create(user=owner, title="Bread & Butter")
    say(owner, bread, "How long to proof?")
    say(owner, bread, "Overnight, in the **fridge**.", role="assistant")
    say(owner, bread, "typing…", is_final=False)
    trashed = session_create(user=owner, title="Old plans")
    say(owner, trashed, "Forget this")
    session_trash(user=owner, session_id=trashed.pk)
    return bread, trashed


def build(export_id) -> None:
    """What the worker runs for the job (the worker itself is tested in test_account_export_worker.py)."""
    services.account_export_build(export_id=str(export_id))


def download(api, state) -> zipfile.ZipFile:
    response = api.get(state["download"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="chat-export-')
    content = b"".join(response.streaming_content)
    assert len(content) == state["size"]
    return zipfile.ZipFile(io.BytesIO(content))


def test_it_starts_an_export_as_a_background_job(api, owner):
    response = api.post(URL)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert response["Location"] == f"{URL}{body['id']}/"
    job = DBTaskResult.objects.get()
    assert job.task_path == "account_data.tasks.account_export_build"
    assert job.args_kwargs == {"args": [], "kwargs": {"export_id": body["id"]}}
    assert api.get(f"{URL}{body['id']}/").json()["status"] == "queued"


def test_one_export_runs_at_a_time(api):
    first = api.post(URL).json()
    assert api.post(URL).json()["id"] == first["id"]
    assert AccountExport.objects.count() == 1
    build(first["id"])
    assert api.post(URL).json()["id"] != first["id"]


def test_the_zip_holds_every_session_as_json_and_markdown_with_a_manifest(api, owner, chats):
    bread, trashed = chats
    export_id = api.post(URL).json()["id"]
    build(export_id)

    state = api.get(f"{URL}{export_id}/").json()
    assert state["status"] == "done"
    assert state["progress"] == {"sessions_done": 2, "sessions_total": 2, "utterances": 3}
    assert state["error"] == ""
    assert state["expires_at"] > state["finished_at"]
    archive = download(api, state)

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["counts"] == {"sessions": 2, "utterances": 3}
    assert manifest["account"] == "owner@example.com"
    assert [row["id"] for row in manifest["sessions"]] == [str(bread.pk), str(trashed.pk)]
    assert manifest["sessions"][1]["deleted_at"] is not None
    assert sorted(archive.namelist()) == sorted(
        ["manifest.json", "folders.json", "tags.json", "shares.json"]
        + [row[kind] for row in manifest["sessions"] for kind in ("json", "markdown")]
    )
    # A session's JSON is what its own export of every branch answers (final messages only); the trash's too.
    own = json.loads(b"".join(api.get(f"/api/sessions/{bread.pk}/export/", {"branches": "all"}).streaming_content))
    stored = json.loads(archive.read(manifest["sessions"][0]["json"]))
    assert stored["messages"] == own["messages"]
    assert stored["session"] == own["session"] | {"exported_at": stored["session"]["exported_at"]}
    assert [m["text"] for m in stored["messages"]] == ["How long to proof?", "Overnight, in the **fridge**."]
    assert archive.read(manifest["sessions"][0]["markdown"]).decode().startswith("# Bread & Butter\n")
    assert [m["text"] for m in json.loads(archive.read(manifest["sessions"][1]["json"]))["messages"]] == ["Forget this"]


def test_a_sessions_json_holds_its_whole_tree_and_its_markdown_the_active_branch(api, owner):
    session = session_create(user=owner, title="Edited")
    say(owner, session, "Q1")
    say(owner, session, "A1", role="assistant")
    utterance_edit(user=owner, session_id=session.pk, seq=1, text="Q1 b")
    say(owner, session, "A1 b", role="assistant")
    export_id = api.post(URL).json()["id"]
    build(export_id)
    archive = download(api, api.get(f"{URL}{export_id}/").json())
    row = json.loads(archive.read("manifest.json"))["sessions"][0]
    stored = json.loads(archive.read(row["json"]))
    assert stored["session"]["head_seq"] == 4
    assert [(m["seq"], m["parent_seq"], m["text"]) for m in stored["messages"]] == [
        (1, None, "Q1"),
        (2, 1, "A1"),
        (3, None, "Q1 b"),
        (4, 3, "A1 b"),
    ]
    markdown = archive.read(row["markdown"]).decode()
    assert "Q1 b" in markdown
    assert "A1\n" not in markdown


def test_an_empty_account_exports_a_manifest_and_no_folders_or_tags(api):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    archive = download(api, api.get(f"{URL}{export_id}/").json())
    assert sorted(archive.namelist()) == ["folders.json", "manifest.json", "shares.json", "tags.json"]
    assert json.loads(archive.read("folders.json")) == {"folders": []}
    assert json.loads(archive.read("tags.json")) == {"tags": []}
    assert json.loads(archive.read("shares.json")) == {"shares": []}
    assert json.loads(archive.read("manifest.json"))["counts"] == {"sessions": 0, "utterances": 0}


def test_no_cache_keeps_the_downloaded_zip(api):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    response = api.get(f"{URL}{export_id}/download/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_download_before_the_zip_is_ready_is_refused_with_a_reason(api):
    export_id = api.post(URL).json()["id"]
    response = api.get(f"{URL}{export_id}/download/")
    assert response.status_code == 409
    assert response.json()["detail"] == "The export has not started yet."


def test_a_download_past_its_time_is_gone_and_its_file_removed(api, settings, exports_root):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    name = AccountExport.objects.get(pk=export_id).file
    assert (exports_root / name).exists()
    AccountExport.objects.filter(pk=export_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert api.get(f"{URL}{export_id}/").json()["status"] == "expired"
    assert api.get(f"{URL}{export_id}/download/").status_code == 409
    assert services.account_exports_expire(now=timezone.now()) == 1
    assert not (exports_root / name).exists()
    assert services.account_exports_expire(now=timezone.now()) == 0


def test_an_export_whose_worker_stopped_reads_failed_and_a_new_one_can_start(api, settings):
    settings.EXPORT_STALL_SECONDS = 60
    export_id = api.post(URL).json()["id"]
    AccountExport.objects.filter(pk=export_id).update(
        status=AccountExport.Status.RUNNING, updated_at=timezone.now() - timedelta(seconds=61)
    )
    state = api.get(f"{URL}{export_id}/").json()
    assert (state["status"], state["error"]) == ("failed", "The export was interrupted. Start it again.")
    assert api.post(URL).json()["id"] != export_id


def test_a_job_that_fails_marks_the_export_failed_and_is_recorded_failed(api, settings, tmp_path, chats):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the exports' folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blocked}},
    }
    export_id = api.post(URL).json()["id"]
    with pytest.raises(FileExistsError):
        build(export_id)
    state = api.get(f"{URL}{export_id}/").json()
    assert (state["status"], state["error"], state["download"]) == (
        "failed",
        "The export failed. Start it again.",
        None,
    )


def test_a_job_delivered_twice_runs_once(api, chats):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    finished = AccountExport.objects.get(pk=export_id).finished_at
    build(export_id)
    assert AccountExport.objects.get(pk=export_id).finished_at == finished


def test_another_users_export_is_not_found(api, outsider):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    theirs = APIClient()
    theirs.force_authenticate(outsider)
    for path in (f"{URL}{export_id}/", f"{URL}{export_id}/download/", f"{URL}not-a-uuid/"):
        response = theirs.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "Not found."


def test_it_needs_a_signed_in_user(db):
    assert APIClient().post(URL).status_code == 401


def test_the_status_is_read_with_a_fixed_number_of_queries(api, chats, django_assert_num_queries):
    export_id = api.post(URL).json()["id"]
    build(export_id)
    with django_assert_num_queries(1):
        assert api.get(f"{URL}{export_id}/").status_code == 200


def test_the_zip_lists_the_accounts_shared_links(api, owner, chats):
    from sharing.services import share_create

    share = share_create(user=owner, session_id=chats[0].pk, password="pw", display_name="Olive")
    export_id = api.post(URL).json()["id"]
    build(export_id)
    archive = download(api, api.get(f"{URL}{export_id}/").json())
    listed = json.loads(archive.read("shares.json"))["shares"]
    assert [(row["id"], row["session"], row["has_password"], row["view_count"]) for row in listed] == [
        (share.pk, str(chats[0].pk), True, 0)
    ]
    assert share.password_hash not in archive.read("shares.json").decode()
    assert json.loads(archive.read("manifest.json"))["shares"] == "shares.json"

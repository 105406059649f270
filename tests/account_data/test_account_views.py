from django.test import Client

from account_data import services
from accounts.models import AccountExport, User
from conversation.sessions.create import session_create
from tests.factories import DEFAULT_PASSWORD


def test_the_account_page_shows_the_retention_and_saves_a_new_one(owner, owner_client, settings):
    settings.SESSION_RETENTION_DAYS = None
    body = owner_client.get("/accounts/").content.decode()
    assert '<option value="keep" selected>' in body
    response = owner_client.post("/accounts/", {"retention": "30"}, follow=True)
    assert "Saved." in response.content.decode()
    assert User.objects.get(pk=owner.pk).retention_days == 30


def test_it_offers_only_what_the_deployment_allows(owner, owner_client, settings):
    settings.SESSION_RETENTION_DAYS = 90
    body = owner_client.get("/accounts/").content.decode()
    assert 'value="365"' not in body
    assert "keeps inactive chats 90 days at most" in body
    response = owner_client.post("/accounts/", {"retention": "365"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=owner.pk).retention_days is None


def test_it_states_the_import_size_limit_in_words_people_read(owner_client, settings):
    settings.IMPORT_MAX_BYTES = 1024**3
    assert "up to 1.0\xa0GB a file" in owner_client.get("/accounts/").content.decode()
    settings.IMPORT_MAX_BYTES = 50 * 1024**2
    assert "up to 50.0\xa0MB a file" in owner_client.get("/accounts/").content.decode()


def test_starting_an_export_from_the_page_shows_it(owner, owner_client):
    response = owner_client.post("/accounts/export/", follow=True)
    assert "Your export has started" in response.content.decode()
    export = AccountExport.objects.get(user=owner)
    assert "Your export is waiting to start" in response.content.decode()
    services.account_export_build(export_id=str(export.pk))
    body = owner_client.get("/accounts/").content.decode()
    assert "Your export is ready" in body
    assert f"/api/account/export/{export.pk}/download/" in body


def test_a_wrong_password_deletes_nothing(owner, owner_client):
    response = owner_client.post("/accounts/erase/", {"password": "nope"})
    assert response.status_code == 400
    assert "Wrong password." in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()


def test_the_right_password_deletes_the_account_and_logs_out(owner, owner_client):
    session_create(user=owner, title="mine")
    response = owner_client.post("/accounts/erase/", {"password": DEFAULT_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "Your account and everything in it were deleted." in response.content.decode()
    assert not User.objects.filter(pk=owner.pk).exists()
    assert owner_client.get("/").status_code == 302


def test_erasing_takes_post_only_and_a_signed_in_user(owner_client):
    assert owner_client.get("/accounts/erase/").status_code == 405
    assert Client().post("/accounts/erase/", {"password": "x"}).status_code == 302


def test_the_account_page_shows_the_stats_and_the_tokens_chart_of_the_owner_only(owner, outsider, owner_client):
    import re
    from datetime import timedelta

    from django.utils import timezone

    from conversation.usage.services import usage_record
    from tests.helpers import say

    session = session_create(user=owner)
    say(owner, session, "q")
    say(owner, session, "a", role="assistant")
    today = timezone.localdate()
    usage_record(user_id=owner.pk, prompt_tokens=1200, completion_tokens=300, estimated=False, day=today)
    usage_record(user_id=owner.pk, prompt_tokens=40, completion_tokens=2, estimated=True, day=today - timedelta(3))
    usage_record(user_id=outsider.pk, prompt_tokens=999_999, completion_tokens=1, estimated=False, day=today)
    body = owner_client.get("/accounts/").content.decode()
    assert "1 in all, 1 started today, 1 this week" in body
    assert "2 in all: 1 yours, 1 the assistant's" in body
    assert "1,542: 1,240 prompt, 302 completion" in body
    svg = re.search(r"<svg [^>]*role=\"img\".*?</svg>", body, re.S).group(0)
    assert svg.count('class="usage-day"') == 30
    assert svg.count('class="usage-completion"') == 2
    assert svg.count('class="usage-estimated"') == 1  # the day with an estimate marked
    assert "1,542 tokens (1,240 prompt, 302 completion) on 2 days" in svg  # its <desc>
    assert body.count('<tr><th scope="row">') == 30  # the table for screen readers
    assert "999,999" not in body

"""The account page for device tokens, their sweep, and the move of older plaintext tokens."""

from datetime import timedelta
from importlib import import_module
from io import StringIO

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from knox.crypto import hash_token

from accounts import services
from accounts.models import DeviceToken
from tests.factories import UserFactory

PAGE = "/accounts/tokens/"


def test_the_page_lists_the_users_tokens_and_not_anyone_elses(owner_client, owner, outsider):
    services.device_token_create(user=owner, name="Voice agent")
    services.device_token_create(user=outsider, name="Outsider's laptop")
    page = owner_client.get(PAGE).content.decode()
    assert "Voice agent" in page
    assert "Outsider" not in page


def test_a_token_made_on_the_page_is_shown_once(owner_client, owner):
    response = owner_client.post(PAGE, {"name": "Mobile app"})
    assert response["Cache-Control"] == "no-store"
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert key not in owner_client.get(PAGE).content.decode()
    assert DeviceToken.objects.get(user=owner).name == "Mobile app"


def test_the_page_says_how_a_program_sends_its_token_and_that_way_works(owner_client):
    response = owner_client.post(PAGE, {"name": "Voice agent"})
    page, key = response.content.decode(), response.context["new_key"]
    assert "<code>Authorization: Token</code>" in page
    assert 'href="/api/docs/"' in page
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/sessions/").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/sessions/").status_code == 401


def test_a_token_needs_a_name(owner_client):
    response = owner_client.post(PAGE, {"name": "  "})
    assert response.status_code == 200
    assert not DeviceToken.objects.exists()


def test_revoking_on_the_page(owner_client, owner):
    token, _ = services.device_token_create(user=owner, name="Old phone")
    response = owner_client.post(f"/accounts/tokens/{token.public_id}/revoke/")
    assert response.status_code == 302
    assert not DeviceToken.objects.exists()


def test_another_users_token_cannot_be_revoked_on_the_page(outsider_client, owner):
    token, _ = services.device_token_create(user=owner, name="Phone")
    assert outsider_client.post(f"/accounts/tokens/{token.public_id}/revoke/").status_code == 404
    assert DeviceToken.objects.filter(pk=token.pk).exists()


def test_the_page_needs_a_login(db):
    assert Client().get(PAGE).status_code == 302


def test_the_admin_shows_no_key_material(db, owner):
    token, key = services.device_token_create(user=owner, name="Phone")
    staff = Client()
    staff.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    for url in ("/admin/", f"/admin/accounts/user/{owner.pk}/change/"):
        page = staff.get(url).content.decode()
        assert key[:8] not in page
        assert token.digest not in page


def test_the_sweep_deletes_expired_tokens_only(db, owner):
    expired, _ = services.device_token_create(user=owner, name="Expired")
    services.device_token_create(user=owner, name="Live")
    DeviceToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("expire_device_tokens", stdout=out)
    assert "Deleted 1 expired device tokens." in out.getvalue()
    assert list(DeviceToken.objects.values_list("name", flat=True)) == ["Live"]


def test_plaintext_tokens_of_before_become_hashed_device_tokens(db, owner):
    migration = import_module("accounts.migrations.0002_device_tokens")
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.schema_editor() as editor:
        created_type = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
        editor.execute(
            f"CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created {created_type})"
        )
        editor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, owner.pk, timezone.now()])
        migration.move_plaintext_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    moved = DeviceToken.objects.get(user=owner)
    assert moved.digest == hash_token(key)
    assert (moved.user_id, moved.token_key) == (owner.pk, key[:15])


def test_staff_see_and_revoke_tokens_in_the_admin_without_their_keys(db, owner):
    token, key = services.device_token_create(user=owner, name="Lost phone")
    staff = Client()
    staff.force_login(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True))
    listing = staff.get("/admin/accounts/devicetoken/").content.decode()
    assert "Lost phone" in listing
    change_page = staff.get(f"/admin/accounts/devicetoken/{token.pk}/change/").content.decode()
    # The key is never stored; its first characters are (knox looks tokens up by them): never shown.
    # (The admin's URLs name a token by its SHA-512 digest, its primary key, from which no key can
    # be recovered.)
    for page in (listing, change_page):
        assert key[:8] not in page
        assert token.token_key not in page
    response = staff.post(f"/admin/accounts/devicetoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not DeviceToken.objects.exists()


def test_a_token_not_used_yet_was_last_used_never(owner_client, owner):
    token, _ = services.device_token_create(user=owner, name="Voice agent")
    assert token.last_used_at is None
    row = owner_client.get(PAGE).content.decode().split("Voice agent", 1)[1]
    assert '<td data-label="Last used">never</td>' in row
    assert "minutes ago" not in row


def test_a_new_token_comes_with_a_copy_button_and_its_script(owner_client):
    page = owner_client.post(PAGE, {"name": "Mobile app"}).content.decode()
    assert 'data-copy="new-token"' in page
    assert 'id="new-token"' in page
    assert 'src="/static/js/copy.js"' in page
    listed = owner_client.get(PAGE).content.decode()
    assert "copy.js" not in listed  # nothing to copy once the key is gone

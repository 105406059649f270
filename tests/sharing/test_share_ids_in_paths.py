"""Ids no link can have (a NUL byte, which PostgreSQL refuses in text) are a 404 on every door of
the sharing app, never a 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

NUL_ID = "%00abc"


def test_a_nul_in_the_shared_page_id_is_not_found():
    assert Client().get(f"/s/{NUL_ID}/").status_code == 404


def test_a_nul_in_the_copy_id_is_not_found(owner_client):
    assert owner_client.post(f"/s/{NUL_ID}/copy/").status_code == 404


def test_a_nul_in_the_revoke_id_is_not_found(owner_client):
    assert owner_client.post(f"/shares/{NUL_ID}/revoke/").status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_nul_in_the_api_id_is_not_found(owner_client, method):
    response = getattr(owner_client, method)(f"/api/shares/{NUL_ID}/", content_type="application/json")
    assert response.status_code == 404

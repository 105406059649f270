"""Unmatched /api/ URLs: the API's JSON 404 for every method, signed in by the session cookie or
not, with CSRF checks on as a browser's requests have them."""

import pytest
from django.test import Client

METHODS = ["get", "post", "put", "patch", "delete"]
PATHS = ["/api/nothing-here/", "/api/imports/x/y/z/", "/api/sessions/00000000-0000-0000-0000-000000000000/nope/"]


def assert_json_404(response) -> None:
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_an_unmatched_api_url_is_a_json_404_for_an_anonymous_caller(db, method, path):
    client = Client(enforce_csrf_checks=True)
    assert_json_404(client.generic(method.upper(), path, b"{}", content_type="application/json"))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_an_unmatched_api_url_is_a_json_404_for_a_signed_in_browser(owner, method, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert_json_404(client.generic(method.upper(), path, b"{}", content_type="application/json"))


def test_an_unmatched_api_url_is_a_json_404_with_debug_on(db, settings):
    settings.DEBUG = True
    assert_json_404(Client(enforce_csrf_checks=True).post("/api/nothing-here/"))

"""Every page answers with a Content-Security-Policy that allows no inline script, and the other
headers a browser needs to keep the product to itself."""

import pytest

PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/admin/login/", "/api/docs/", "/api/sessions/", "/health/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_and_foreign_script(owner_client, path):
    response = owner_client.get(path)
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    # Scripts from this origin, and at most the one inline element of the page's nonce (the chat
    # page's import map, in production).
    own, *nonces = policy["script-src"].split()
    assert own == "'self'"
    assert all(source.startswith("'nonce-") for source in nonces)
    assert len(nonces) <= 1
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response["Permissions-Policy"].startswith("camera=(), microphone=()")
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_only_the_api_docs_allow_inline_styles(owner_client):
    def style_src(path):
        policy = owner_client.get(path)["Content-Security-Policy"]
        return next(part for part in policy.split(";") if part.strip().startswith("style-src")).split()[1:]

    assert style_src("/") == ["'self'"]
    assert style_src("/api/docs/") == ["'self'", "'unsafe-inline'"]


def test_the_api_docs_load_swagger_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "<script>" not in page  # the start-up script is a file of its own
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_forwarded_proto_header_is_ignored_without_a_trusted_proxy(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert not hasattr(settings, "SECURE_PROXY_SSL_HEADER") or settings.SECURE_PROXY_SSL_HEADER is None

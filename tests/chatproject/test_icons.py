"""The favicon and the web app manifest: every page links them, /favicon.ico finds the icon, and
the manifest says what a home screen needs."""

import json

import pytest

PAGES = ["/accounts/login/", "/accounts/signup/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_the_icon_the_manifest_and_a_theme_colour(client, path):
    page = client.get(path).content.decode()
    assert '<link rel="icon" href="/static/icons/icon.svg" type="image/svg+xml">' in page
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#2f5bd3">' in page


def test_the_signed_in_pages_link_them_too(owner_client):
    assert 'rel="manifest"' in owner_client.get("/").content.decode()


def test_favicon_ico_is_sent_to_the_svg_icon_signed_in_or_not(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.redirect_chain == [("/static/icons/icon.svg", 302)]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"


def test_the_manifest_is_served_as_one_and_names_icons_that_exist(client):
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(b"".join(response.streaming_content))
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert {"name", "short_name", "theme_color", "background_color"} <= set(manifest)
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert {"any", "192x192", "512x512"} <= set(sizes)
    for icon in manifest["icons"]:
        served = client.get(f"/static/{icon['src']}")  # relative to the manifest's folder
        assert served.status_code == 200
        assert served["Content-Type"] == icon["type"]
        if icon["type"] == "image/png":
            head = b"".join(served.streaming_content)[:24]
            assert head[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"]


def test_the_policy_lets_the_manifest_and_the_icons_in(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["manifest-src"] == "'self'"
    assert "'self'" in directives["img-src"].split()

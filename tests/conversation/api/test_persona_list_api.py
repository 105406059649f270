def test_it_lists_personas_in_order(api):
    body = api.get("/api/personas/").json()
    assert [p["slug"] for p in body["results"]] == [
        "default",
        "mental-health-nurse",
        "technical-support",
        "creative-writer",
    ]
    assert body["results"][0] == {"slug": "default", "name": "Default Assistant", "is_default": True}

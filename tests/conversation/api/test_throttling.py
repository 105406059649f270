from rest_framework.throttling import ScopedRateThrottle


def test_it_answers_429_with_retry_after_past_the_rate(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"api_read": "3/min", "api_write": "3/min"})
    statuses = [api.get("/api/personas/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/personas/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_reads_and_writes_have_separate_budgets(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"api_read": "1/min", "api_write": "1/min"})
    assert api.get("/api/personas/").status_code == 200
    assert api.post("/api/sessions/", {}, format="json").status_code == 201
    assert api.get("/api/personas/").status_code == 429


def test_searches_have_a_budget_of_their_own(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"api_read": "5/min", "api_search": "1/min"})
    assert api.get("/api/sessions/?q=bread").status_code == 200
    assert api.get("/api/sessions/?q=butter").status_code == 429
    assert api.get("/api/sessions/").status_code == 200


def test_message_searches_share_the_search_budget(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"api_read": "5/min", "api_search": "1/min"})
    assert api.get("/api/search/?q=bread").status_code == 200
    assert api.get("/api/sessions/?q=butter").status_code == 429
    assert api.get("/api/search/?q=butter").status_code == 429
    assert api.get("/api/sessions/").status_code == 200

from django.test import Client
from django.urls import reverse


def test_health_answers_without_touching_the_database(client: Client):
    # No `db` fixture: any query here raises "Database access not allowed".
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_database_and_cache(db, client: Client):
    response = client.get(reverse("health-ready"))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "cache": True}


def test_ready_answers_503_naming_the_cache_when_redis_is_down(db, client: Client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = client.get(reverse("health-ready"))
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


def test_health_is_open_to_anonymous_visitors(db, client: Client):
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("health-ready")).status_code == 200

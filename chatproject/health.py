"""Liveness and readiness probes for load balancers and orchestrators."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
@never_cache
@login_not_required
def health(request):
    """The process is up and answering; touches neither the database nor the cache."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("readiness: database check failed", exc_info=True)
        return False


def _cache_ok() -> bool:
    try:
        cache.set("health:ready", "1", timeout=10)
        return cache.get("health:ready") == "1"
    except Exception:
        logger.warning("readiness: cache check failed", exc_info=True)
        return False


@require_GET
@never_cache
@login_not_required
def ready(request):
    """Ready to serve: the database and the cache both answer. 503 names what failed."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not failed else "unavailable", "checks": checks, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)

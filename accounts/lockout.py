"""Login throttling and lockout (django-axes) for every door: the login page, the admin's login and
the API's token endpoint, by account and by client address; and sign-ups throttled by address.

The client address is the connection's peer unless TRUSTED_PROXY_COUNT says how many proxies in
front set X-Forwarded-For; then it is the address the outermost trusted proxy saw. A header the
client chose never decides it.
"""

import time

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.forms import LoginForm


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Each trusted proxy appended the address it was reached from: the client is the one before them.
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def account_name(request: HttpRequest, credentials: dict | None) -> str:
    """E-mail addresses log in in any case, so they are locked out in any case.

    django-axes names the account `username` in the credentials it records a failure with, but
    `email` (AXES_USERNAME_FORM_FIELD, the user model's USERNAME_FIELD) in those it checks before the
    password is tried: both are read, or the check before a JSON log-in (the token API) looked up
    no account and let a locked one in."""
    credentials = credentials or {}
    name = (
        credentials.get("username")
        or credentials.get(settings.AXES_USERNAME_FORM_FIELD)
        or request.POST.get("username", "")
    )
    return str(name).strip().lower()


class AccountLockoutHandler(AxesDatabaseHandler):
    """django-axes' database handler, but a successful log-in resets that account's failures only.

    Axes' own reset deletes every attempt matching any lockout parameter, the address included: an
    attacker logging in to their own account from the address they guessed another's password from
    wiped that account's count (issue 29).
    """

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        deleted, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return deleted


def locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = f"Too many failed log-ins for this account or from this address. Try again in {minutes} minutes."
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        context = {
            "form": LoginForm(request),
            "lockout_message": message,
            "next": request.GET.get("next", ""),
            "signup_open": settings.SIGNUP_OPEN,
        }
        response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response


def signup_attempt_allowed(request: HttpRequest) -> bool:
    """Counts a sign-up attempt of the request's client address: False past SIGNUPS_PER_HOUR this hour."""
    key = f"signups:{client_address(request)}:{int(time.time() // 3600)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # the cache lost the key (Redis restarted, or down): count from here
        return True
    return count is None or count <= settings.SIGNUPS_PER_HOUR

"""Login throttling and lockout (django-axes) for every door: the login page, the admin's login and
the API's token endpoint, by account and by client address.

The client address is the connection's peer unless TRUSTED_PROXY_COUNT says how many proxies in
front set X-Forwarded-For; then it is the address the outermost trusted proxy saw. A header the
client chose never decides it.
"""

from django.conf import settings
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
    """E-mail addresses log in in any case, so they are locked out in any case."""
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(name).strip().lower()


def locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = (
        f"Too many failed log-ins for this account or from this address. Try again in {minutes} minutes, "
        "or reset your password."
    )
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        context = {"form": LoginForm(request), "lockout_message": message, "next": request.GET.get("next", "")}
        response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response

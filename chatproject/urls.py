from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from account_data import urls as account_data_urls
from accounts import urls as accounts_urls
from chatproject import health


@login_not_required
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page links: the static icon.
    Not permanent: the icon's hashed name changes with it."""
    return redirect(static("icons/icon.svg"))


urlpatterns = [
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include((accounts_urls.urlpatterns + account_data_urls.urlpatterns, "accounts"))),
    path("api/", include("chatproject.api.urls")),
    path("", include("sharing.urls")),
    path("", include("conversation.urls")),
]

"""`/api/`: each app's routes, the schema and docs, and JSON 404s for the rest."""

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chatproject.api.endpoints import endpoint
from chatproject.api.errors import api_not_found

app_name = "api"

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("account_data.api_urls")),
    path("", include("conversation.api.urls")),
    path("", include("sharing.api_urls")),
    path("", include("imports.api_urls")),
    path("schema/", endpoint(SpectacularAPIView), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (no inline script);
    # Swagger UI sets inline styles as it renders.
    path(
        "docs/",
        login_not_required(
            csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
        ),
        name="docs",
    ),
    # Any method: CSRF protects a view that acts, and this one only says there is nothing here (the
    # CSRF check would otherwise answer an unmatched POST first, with an HTML page).
    re_path(r"^.*$", csrf_exempt(login_not_required(api_not_found))),
]

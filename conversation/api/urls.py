from csp.decorators import csp_update
from django.contrib.auth.decorators import login_not_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import DeviceTokenDetailApi, DeviceTokenListApi, TokenApi
from conversation.api import replies, views
from conversation.api.errors import api_not_found

app_name = "api"


def api(view_class):
    # DRF authenticates API calls itself (401, not a redirect to the login page).
    return login_not_required(view_class.as_view())


urlpatterns = [
    path("auth/token/", api(TokenApi), name="token"),
    path("auth/tokens/", api(DeviceTokenListApi), name="tokens"),
    path("auth/tokens/<uuid:token_id>/", api(DeviceTokenDetailApi), name="token-detail"),
    path("sessions/", api(views.SessionListApi), name="sessions"),
    path("sessions/save/", api(views.ConversationSaveApi), name="session-save"),
    path("sessions/<str:session_id>/", api(views.SessionDetailApi), name="session"),
    path("sessions/<str:session_id>/utterances/", api(views.UtteranceListApi), name="utterances"),
    path("sessions/<str:session_id>/clear/", api(views.SessionClearApi), name="session-clear"),
    path("sessions/<str:session_id>/export/", api(views.SessionExportApi), name="session-export"),
    path("sessions/<str:session_id>/context/", api(replies.SessionContextApi), name="session-context"),
    path("sessions/<str:session_id>/reply/", api(replies.SessionReplyApi), name="session-reply"),
    path("personas/", api(views.PersonaListApi), name="personas"),
    path("stats/", api(views.StatsApi), name="stats"),
    path("schema/", api(SpectacularAPIView), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (no inline script);
    # Swagger UI sets inline styles as it renders.
    path(
        "docs/",
        login_not_required(
            csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))
        ),
        name="docs",
    ),
    re_path(r"^.*$", login_not_required(api_not_found)),
]

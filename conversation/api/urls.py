"""The conversation app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from chatproject.api.endpoints import endpoint
from conversation.api import reply_views, views

urlpatterns = [
    path("sessions/", endpoint(views.SessionListApi), name="sessions"),
    path("sessions/save/", endpoint(views.ConversationSaveApi), name="session-save"),
    path("sessions/bulk/", endpoint(views.SessionBulkApi), name="sessions-bulk"),
    path("sessions/<str:session_id>/", endpoint(views.SessionDetailApi), name="session"),
    path("sessions/<str:session_id>/utterances/", endpoint(views.UtteranceListApi), name="utterances"),
    path("sessions/<str:session_id>/restore/", endpoint(views.SessionRestoreApi), name="session-restore"),
    path("sessions/<str:session_id>/switch/", endpoint(views.SessionSwitchApi), name="session-switch"),
    path("sessions/<str:session_id>/fork/", endpoint(views.SessionForkApi), name="session-fork"),
    path("trash/", endpoint(views.TrashApi), name="trash"),
    path("sessions/<str:session_id>/clear/", endpoint(views.SessionClearApi), name="session-clear"),
    path("sessions/<str:session_id>/export/", endpoint(views.SessionExportApi), name="session-export"),
    path("sessions/<str:session_id>/context/", endpoint(reply_views.SessionContextApi), name="session-context"),
    path("sessions/<str:session_id>/reply/", endpoint(reply_views.SessionReplyApi), name="session-reply"),
    path(
        "sessions/<str:session_id>/utterances/<str:seq>/edit/",
        endpoint(reply_views.UtteranceEditApi),
        name="utterance-edit",
    ),
    path(
        "sessions/<str:session_id>/utterances/<str:seq>/regenerate/",
        endpoint(reply_views.UtteranceRegenerateApi),
        name="utterance-regenerate",
    ),
    path("personas/", endpoint(views.PersonaListApi), name="personas"),
    path("stats/", endpoint(views.StatsApi), name="stats"),
]

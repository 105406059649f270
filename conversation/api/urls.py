"""The conversation app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from chatproject.api.endpoints import endpoint
from conversation.api import branches, folders, history, replies, search, sessions, summaries, tags

urlpatterns = [
    path("sessions/", endpoint(sessions.SessionListApi), name="sessions"),
    path("sessions/save/", endpoint(history.ConversationSaveApi), name="session-save"),
    path("sessions/bulk/", endpoint(sessions.SessionBulkApi), name="sessions-bulk"),
    path("sessions/<str:session_id>/", endpoint(sessions.SessionDetailApi), name="session"),
    path("sessions/<str:session_id>/utterances/", endpoint(history.UtteranceListApi), name="utterances"),
    path("sessions/<str:session_id>/restore/", endpoint(sessions.SessionRestoreApi), name="session-restore"),
    path("sessions/<str:session_id>/switch/", endpoint(branches.SessionSwitchApi), name="session-switch"),
    path("sessions/<str:session_id>/fork/", endpoint(branches.SessionForkApi), name="session-fork"),
    path("trash/", endpoint(sessions.TrashApi), name="trash"),
    path("sessions/<str:session_id>/clear/", endpoint(sessions.SessionClearApi), name="session-clear"),
    path("sessions/<str:session_id>/export/", endpoint(history.SessionExportApi), name="session-export"),
    path("sessions/<str:session_id>/context/", endpoint(replies.SessionContextApi), name="session-context"),
    path("sessions/<str:session_id>/reply/", endpoint(replies.SessionReplyApi), name="session-reply"),
    path(
        "sessions/<str:session_id>/utterances/<str:seq>/edit/",
        endpoint(replies.UtteranceEditApi),
        name="utterance-edit",
    ),
    path(
        "sessions/<str:session_id>/utterances/<str:seq>/regenerate/",
        endpoint(replies.UtteranceRegenerateApi),
        name="utterance-regenerate",
    ),
    path("personas/", endpoint(sessions.PersonaListApi), name="personas"),
    path("stats/", endpoint(sessions.StatsApi), name="stats"),
    path("search/", endpoint(search.MessageSearchApi), name="search"),
    path("tags/", endpoint(tags.TagListApi), name="tags"),
    path("tags/<str:tag_id>/", endpoint(tags.TagDetailApi), name="tag"),
    path("sessions/<str:session_id>/tags/", endpoint(tags.SessionTagsApi), name="session-tags"),
    path("folders/", endpoint(folders.FolderListApi), name="folders"),
    path("folders/<str:folder_id>/", endpoint(folders.FolderDetailApi), name="folder"),
    path(
        "sessions/<str:session_id>/context/summary/",
        endpoint(summaries.SessionSummaryApi),
        name="session-context-summary",
    ),
]

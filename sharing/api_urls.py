"""The sharing app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

import sharing.urls  # noqa: F401  (registers the share_id converter)
from chatproject.api.endpoints import endpoint
from sharing.api import SessionShareApi, ShareDetailApi, ShareListApi

urlpatterns = [
    path("shares/", endpoint(ShareListApi), name="shares"),
    path("shares/<share_id:share_id>/", endpoint(ShareDetailApi), name="share"),
    path("sessions/<str:session_id>/share/", endpoint(SessionShareApi), name="session-share"),
]

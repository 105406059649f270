"""The sharing app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from chatproject.api.endpoints import endpoint
from sharing.api import SessionShareApi, ShareDetailApi, ShareListApi

urlpatterns = [
    path("shares/", endpoint(ShareListApi), name="shares"),
    path("shares/<str:share_id>/", endpoint(ShareDetailApi), name="share"),
    path("sessions/<str:session_id>/share/", endpoint(SessionShareApi), name="session-share"),
]

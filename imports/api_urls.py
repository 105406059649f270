"""The imports app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from chatproject.api.endpoints import endpoint
from imports.api import ImportDetailApi, ImportListApi, ImportReportApi

urlpatterns = [
    path("imports/", endpoint(ImportListApi), name="imports"),
    path("imports/<str:import_id>/", endpoint(ImportDetailApi), name="import-detail"),
    path("imports/<str:import_id>/report/", endpoint(ImportReportApi), name="import-report"),
]

"""The account_data app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from account_data.api import AccountApi, AccountExportApi, AccountExportDetailApi, AccountExportDownloadApi
from chatproject.api.endpoints import endpoint

urlpatterns = [
    path("account/", endpoint(AccountApi), name="account"),
    path("account/export/", endpoint(AccountExportApi), name="account-export"),
    path("account/export/<str:export_id>/", endpoint(AccountExportDetailApi), name="account-export-detail"),
    path(
        "account/export/<str:export_id>/download/", endpoint(AccountExportDownloadApi), name="account-export-download"
    ),
]

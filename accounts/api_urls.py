"""The accounts app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from accounts.api import (
    AccountApi,
    AccountExportApi,
    AccountExportDetailApi,
    AccountExportDownloadApi,
    AccountSettingsApi,
    DeviceTokenDetailApi,
    DeviceTokenListApi,
    TokenApi,
)
from chatproject.api.endpoints import endpoint

urlpatterns = [
    path("account/", endpoint(AccountApi), name="account"),
    path("account/settings/", endpoint(AccountSettingsApi), name="account-settings"),
    path("account/export/", endpoint(AccountExportApi), name="account-export"),
    path("account/export/<str:export_id>/", endpoint(AccountExportDetailApi), name="account-export-detail"),
    path(
        "account/export/<str:export_id>/download/", endpoint(AccountExportDownloadApi), name="account-export-download"
    ),
    path("auth/token/", endpoint(TokenApi), name="token"),
    path("auth/tokens/", endpoint(DeviceTokenListApi), name="tokens"),
    path("auth/tokens/<uuid:token_id>/", endpoint(DeviceTokenDetailApi), name="token-detail"),
]

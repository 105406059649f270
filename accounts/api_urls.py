"""The accounts app's API routes, mounted under /api/ by chatproject/api/urls.py."""

from django.urls import path

from accounts.api import (
    AccountSettingsApi,
    DeviceTokenDetailApi,
    DeviceTokenListApi,
    TokenApi,
)
from chatproject.api.endpoints import endpoint

urlpatterns = [
    path("account/settings/", endpoint(AccountSettingsApi), name="account-settings"),
    path("auth/token/", endpoint(TokenApi), name="token"),
    path("auth/tokens/", endpoint(DeviceTokenListApi), name="tokens"),
    path("auth/tokens/<uuid:token_id>/", endpoint(DeviceTokenDetailApi), name="token-detail"),
]

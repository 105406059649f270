from django.contrib import admin
from django.urls import include, path

from account_data import urls as account_data_urls
from accounts import urls as accounts_urls
from chatproject import health

urlpatterns = [
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("accounts/", include((accounts_urls.urlpatterns + account_data_urls.urlpatterns, "accounts"))),
    path("api/", include("chatproject.api.urls")),
    path("", include("conversation.urls")),
]

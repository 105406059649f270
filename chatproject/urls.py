from django.contrib import admin
from django.urls import include, path

from chatproject import health

urlpatterns = [
    path("health/", health.health, name="health"),
    path("health/ready/", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("chatproject.api.urls")),
    path("", include("conversation.urls")),
]

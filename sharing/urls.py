"""The shared page's route, mounted at the site's root by chatproject/urls.py."""

from django.urls import path

from sharing.views import shared_page

urlpatterns = [
    path("s/<str:share_id>/", shared_page, name="shared-page"),
]

"""The shared page's route, mounted at the site's root by chatproject/urls.py."""

from django.urls import path

from sharing.views import shared_copy, shared_page

urlpatterns = [
    path("s/<str:share_id>/", shared_page, name="shared-page"),
    path("s/<str:share_id>/copy/", shared_copy, name="shared-copy"),
]

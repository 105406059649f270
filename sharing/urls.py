"""The shared page's route, mounted at the site's root by chatproject/urls.py."""

from django.urls import path

from sharing.views import shared_copy, shared_page, shares_page, shares_revoke

urlpatterns = [
    path("s/<str:share_id>/", shared_page, name="shared-page"),
    path("s/<str:share_id>/copy/", shared_copy, name="shared-copy"),
    path("shares/", shares_page, name="shares"),
    path("shares/<str:share_id>/revoke/", shares_revoke, name="shares-revoke"),
]

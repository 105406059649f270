"""The shared page's route, mounted at the site's root by chatproject/urls.py."""

from django.urls import path, register_converter

from sharing.views import shared_copy, shared_page, shares_page, shares_revoke


class ShareIdConverter:
    """A link id's alphabet (token_urlsafe) and length: any other id (a NUL byte, which PostgreSQL
    refuses in text and answered 500) is no page at all."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ShareIdConverter, "share_id")

urlpatterns = [
    path("s/<share_id:share_id>/", shared_page, name="shared-page"),
    path("s/<share_id:share_id>/copy/", shared_copy, name="shared-copy"),
    path("shares/", shares_page, name="shares"),
    path("shares/<share_id:share_id>/revoke/", shares_revoke, name="shares-revoke"),
]

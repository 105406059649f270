"""Sign-up, log-in, password and device tokens: the accounts app's routes, joined with the account
page's (account_data/urls.py) under /accounts/ in the `accounts` namespace by chatproject/urls.py."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.EmailLoginView.as_view(), name="login"),
    path("logout/", views.SocketClosingLogoutView.as_view(), name="logout"),
    path("password/", views.SocketClosingPasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("tokens/", views.device_tokens, name="device_tokens"),
    path("tokens/<uuid:token_id>/revoke/", views.device_token_revoke, name="device_token_revoke"),
]

"""The account page's routes, in the `accounts` namespace beside the accounts app's own
(chatproject/urls.py joins them under /accounts/)."""

from django.urls import path

from account_data import views

urlpatterns = [
    path("", views.account, name="account"),
    path("export/", views.account_export, name="account_export"),
    path("erase/", views.account_erase, name="account_erase"),
]

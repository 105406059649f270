from django.apps import AppConfig


class AccountDataConfig(AppConfig):
    """An account with its data across the apps below it: the whole-account export, erasing an
    account with everything it owns, the account page, the users' admin."""

    name = "account_data"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "account data"

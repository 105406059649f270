from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "conversation"
    verbose_name = "Conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from conversation import checks  # noqa: F401  (registers the checks)
        from conversation.search.sqlite import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self)

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import DeviceToken


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    """Staff see and revoke a user's device tokens; no key material is stored, and none is shown."""

    list_display = ("name", "user", "created", "expiry", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)
    ordering = ("-created",)
    fields = ("public_id", "name", "user", "created", "expiry", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        # Tokens are made by their owner (the API or the Devices page), who alone sees the key.
        return False

    def delete_model(self, request: HttpRequest, obj: DeviceToken) -> None:
        services.device_token_revoke(user=obj.user, public_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DeviceToken]) -> None:
        for token in queryset.select_related("user"):
            services.device_token_revoke(user=token.user, public_id=token.public_id)

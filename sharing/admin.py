from django.contrib import admin

from sharing.models import Share


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """Staff see links and may delete one (its page then answers 404); the snapshot and the
    password's hash are not shown, nor changed here."""

    list_display = ("short_id", "user", "title", "audience", "created_at", "revoked_at", "view_count")
    list_filter = ("audience",)
    search_fields = ("user__email", "title")
    list_select_related = ("user",)
    fields = ("id", "user", "session", "title", "message_count", "audience", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description="link")
    def short_id(self, obj: Share) -> str:
        return f"{obj.pk[:8]}…"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

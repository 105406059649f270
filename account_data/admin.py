"""The users' admin: an account is deleted with everything it owns across the apps (account_data)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from account_data import services
from accounts.models import User
from accounts.services import sockets_recheck
from conversation.sessions.lists import sessions_totals_for_users


class UserChangeFormByEmail(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationFormByEmail(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeFormByEmail
    add_form = UserCreationFormByEmail
    ordering = ("email",)
    list_display = ("email", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            sockets_recheck(user_ids=[obj.pk])

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # Saved: the user's other log-in sessions no longer authenticate; close their sockets.
            sockets_recheck(user_ids=[int(id)])
        return response

    def get_deleted_objects(self, objs, request: HttpRequest):
        # Django's own list names every related row (one per utterance) and asks for a delete
        # permission on utterances, which nobody has: they go with their session. A summary instead,
        # in a fixed number of queries whatever the accounts hold.
        users = list(objs)
        sessions, utterances = sessions_totals_for_users(user_ids=[user.pk for user in users])
        summary = [str(user) for user in users]
        if sessions:
            summary.append(f"{sessions} chat sessions with {utterances} utterances")
        perms_needed = set()
        if sessions and not request.user.has_perm("conversation.delete_session"):
            perms_needed.add("chat session")
        counts = {"users": len(users), "chat sessions": sessions, "utterances": utterances}
        return summary, {name: count for name, count in counts.items() if count}, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.users_delete(user_ids=[obj.pk], actor_id=request.user.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        services.users_delete(user_ids=queryset.values_list("id", flat=True), actor_id=request.user.pk)

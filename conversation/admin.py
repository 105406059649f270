from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from conversation import inputs
from conversation.history.pages import utterances_latest
from conversation.models import Persona, Session, SessionAudit, Utterance
from conversation.prompt import context_max_tokens_check
from conversation.sessions.create import session_update, title_source_of
from conversation.sessions.lifecycle import sessions_delete, sessions_end, sessions_trash_by_staff
from conversation.sessions.lists import SESSION_VIEWS, sessions_totals

ADMIN_BATCH_SIZE = 1000
CONFIRM_TITLES = {
    "delete": "Delete {n} sessions permanently?",
    "trash": "Move {n} sessions to the trash?",
    "end": "End {n} sessions?",
}
LATEST_UTTERANCES_SHOWN = 50


class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ("name", "slug", "system_prompt", "context_max_tokens", "is_default", "position")

    def clean_context_max_tokens(self) -> int | None:
        value = self.cleaned_data["context_max_tokens"]
        context_max_tokens_check(value)
        return value


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    form = PersonaForm
    list_display = ("name", "slug", "is_default", "context_max_tokens", "position")
    list_editable = ("position",)
    ordering = ("position", "id")
    prepopulated_fields = {"slug": ("name",)}


class LifecycleFilter(admin.SimpleListFilter):
    title = "list"
    parameter_name = "list"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("pinned", "Pinned"), ("archived", "Archived"), ("trash", "In the trash")]

    def queryset(self, request, queryset):
        if self.value() in SESSION_VIEWS:
            return queryset.filter(SESSION_VIEWS[self.value()])
        return queryset


class EndedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "ended":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class SessionAdminForm(forms.ModelForm):
    """The API's rules for a title and metadata, said on the form's fields rather than as a 500."""

    def clean_title(self):
        return _field_checked(inputs.check_title, self.cleaned_data["title"], "title")

    def clean_metadata(self):
        return _field_checked(inputs.check_metadata, self.cleaned_data["metadata"], "metadata")


def _field_checked(check, value, name: str):
    try:
        return check(value)
    except ValidationError as error:
        raise ValidationError(error.message_dict[name]) from error


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ("display_title", "user", "persona", "message_count", "last_activity_at", "is_ended", "in_trash")
    list_select_related = ("user", "persona")
    list_filter = (LifecycleFilter, "persona", "last_activity_at", EndedFilter)
    search_fields = ("title", "user__email")
    date_hierarchy = "last_activity_at"
    ordering = ("-last_activity_at", "-id")
    raw_id_fields = ("user",)
    # The approximate total of a large table is not worth a COUNT(*) over it on every page.
    show_full_result_count = False
    readonly_fields = (
        "id",
        "created_at",
        "last_activity_at",
        "ended_at",
        "pinned_at",
        "archived_at",
        "deleted_at",
        "message_count",
        "user_message_count",
        "assistant_message_count",
        "system_message_count",
        "last_seq",
        "context_epoch",
        "latest_utterances",
    )
    fieldsets = (
        (None, {"fields": ("id", "user", "title", "persona", "metadata")}),
        (
            "Activity",
            {"fields": ("created_at", "last_activity_at", "ended_at", "pinned_at", "archived_at", "deleted_at")},
        ),
        (
            "Counters",
            {
                "fields": (
                    "message_count",
                    "user_message_count",
                    "assistant_message_count",
                    "system_message_count",
                    "last_seq",
                    "context_epoch",
                )
            },
        ),
        (f"Latest {LATEST_UTTERANCES_SHOWN} utterances", {"fields": ("latest_utterances",)}),
    )
    actions = ("trash_sessions", "delete_sessions", "end_sessions")

    def save_model(self, request, obj, form, change):
        # A change goes through the service, which writes only what the form changed: an append that
        # landed while the form was open keeps its counters, head and preview, and open tabs hear of it.
        if not change:
            obj.title_source = title_source_of(obj.title)
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if "persona" in changes:
            changes["persona"] = changes["persona"].slug
        if changes:
            session_update(user=obj.user, session_id=obj.pk, **changes)

    def get_readonly_fields(self, request, obj=None):
        # A session never changes owner: its utterances, their search index and its owner's open
        # tabs all name the owner it was created with.
        return self.readonly_fields if obj is None else (*self.readonly_fields, "user")

    @admin.display(description="title", ordering="title")
    def display_title(self, obj: Session) -> str:
        return obj.display_title

    @admin.display(description="ended", boolean=True, ordering="ended_at")
    @admin.display(boolean=True, description="in the trash")
    def in_trash(self, obj: Session) -> bool:
        return obj.deleted_at is not None

    def is_ended(self, obj: Session) -> bool:
        return obj.ended_at is not None

    @admin.display(description="utterances")
    def latest_utterances(self, obj: Session) -> str:
        if obj.pk is None:
            return "-"
        rows = utterances_latest(session_id=obj.pk, limit=LATEST_UTTERANCES_SHOWN)
        if not rows:
            return "No utterances."
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style='white-space:pre-wrap'>{}</td></tr>",
            ((u.seq, u.created_at, u.role, "" if u.is_final else "interim", u.text) for u in rows),
        )
        return format_html(
            "<table><thead><tr><th>seq</th><th>at</th><th>role</th><th></th><th>text</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            body,
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Replaced by delete_sessions, which goes through the services in batches.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        sessions_delete(session_ids=[obj.pk], actor_id=request.user.pk, cause=SessionAudit.Cause.ADMIN)

    def delete_queryset(self, request, queryset):
        self._delete_in_batches(queryset, actor=request.user)

    @admin.action(description="Move selected sessions to the trash", permissions=["change"])
    def trash_sessions(self, request: HttpRequest, queryset: QuerySet[Session]):
        def trash(sessions: QuerySet[Session]) -> str:
            ids = list(sessions.values_list("id", flat=True))
            moved = sum(
                sessions_trash_by_staff(session_ids=ids[start : start + ADMIN_BATCH_SIZE], actor=request.user)
                for start in range(0, len(ids), ADMIN_BATCH_SIZE)
            )
            return f"Moved {moved} sessions to the trash; their owners can restore them."

        return self._confirmed(request, queryset, verb="trash", apply=trash)

    @admin.action(description="Delete selected sessions permanently", permissions=["delete"])
    def delete_sessions(self, request: HttpRequest, queryset: QuerySet[Session]):
        return self._confirmed(
            request,
            queryset,
            verb="delete",
            apply=lambda sessions: self._delete_in_batches(sessions, actor=request.user),
        )

    @admin.action(description="End selected sessions", permissions=["change"])
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[Session]):
        return self._confirmed(request, queryset, verb="end", apply=self._end)

    def _delete_in_batches(self, queryset: QuerySet[Session], *, actor) -> str:
        ids = list(queryset.values_list("id", flat=True))
        sessions = utterances = 0
        for start in range(0, len(ids), ADMIN_BATCH_SIZE):
            deleted = sessions_delete(
                session_ids=ids[start : start + ADMIN_BATCH_SIZE], actor_id=actor.pk, cause=SessionAudit.Cause.ADMIN
            )
            sessions, utterances = sessions + deleted[0], utterances + deleted[1]
        return f"Deleted {sessions} sessions and {utterances} utterances."

    def _end(self, queryset: QuerySet[Session]) -> str:
        ended = sessions_end(session_ids=queryset.values_list("id", flat=True))
        return f"Ended {ended} sessions."

    def _confirmed(self, request: HttpRequest, queryset: QuerySet[Session], *, verb: str, apply):
        if request.POST.get("confirmed") == "yes":
            self.message_user(request, apply(queryset), messages.SUCCESS)
            return None
        sessions, utterances = sessions_totals(session_ids=queryset.values("id"))
        context = {
            **self.admin_site.each_context(request),
            "title": CONFIRM_TITLES[verb].format(n=sessions),
            "verb": verb,
            "action": request.POST["action"],
            "sessions": sessions,
            "utterances": utterances,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "query_string": request.GET.urlencode(),
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/conversation/session/confirm_action.html", context)


@admin.register(Utterance)
class UtteranceAdmin(admin.ModelAdmin):
    list_display = ("session", "seq", "role", "is_final", "created_at")
    list_select_related = ("session",)
    list_filter = ("role", "is_final")
    raw_id_fields = ("session",)
    ordering = ("-id",)
    show_full_result_count = False
    readonly_fields = ("session", "seq", "role", "text", "is_final", "client_id", "created_at", "metadata")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Utterances go with their session (or a clear), so that the counters stay exact.
        return False


@admin.register(SessionAudit)
class SessionAuditAdmin(admin.ModelAdmin):
    """The removals, read-only: who acted, on whose session, how many utterances went, when."""

    list_display = ("created_at", "action", "cause", "owner_id", "actor_id", "session_id", "utterance_count")
    list_filter = ("action", "cause")
    search_fields = ("=session_id", "=owner_id")
    ordering = ("-created_at", "-id")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

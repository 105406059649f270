"""The account page (retention, the whole-account export, imports, devices, erasure) and its
forms' actions: a page over every app's part of the account."""

import math
import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from account_data import selectors, services
from accounts import selectors as account_selectors
from accounts import services as account_services
from chatproject import live
from conversation.frames import SOCKET_PATH
from conversation.usage.chart import usage_chart_svg
from conversation.usage.selectors import stats_for_user
from imports import formats
from imports import selectors as import_selectors


class RetentionForm(forms.Form):
    retention = forms.ChoiceField(label="Keep inactive chats")

    def __init__(self, *args, choices: list[int | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retention"].choices = [
            (
                "keep" if days is None else str(days),
                "As long as the service keeps them" if days is None else f"{days} days",
            )
            for days in choices
        ]


class EraseForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)


@require_http_methods(["GET", "POST"])
def account(request):
    """The account page: the use in numbers, retention, the whole-account export, devices, erasure."""
    current = account_selectors.account_settings_get(user=request.user)
    initial = {"retention": "keep" if current.retention_days is None else str(current.retention_days)}
    form = RetentionForm(request.POST or None, initial=initial, choices=current.retention_choices)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["retention"]
        account_services.account_settings_update(
            user=request.user, retention_days=None if chosen == "keep" else int(chosen)
        )
        messages.success(request, "Saved.")
        return redirect("accounts:account")
    return _account_page(request, form=form, settings_now=current, erase_form=EraseForm())


# What the page says of an export, by status; static/js/account.js fills in the same while it runs
# (static/js/words.js: `{name}` is a value, `{name:one:many}` a count with its noun's form).
EXPORT_TEXTS = {
    "queued": "Your export is waiting to start…",
    "running": "Exporting: {done} of {total:chat:chats}, {utterances:message:messages} so far…",
    "done": "Your export is ready ({size}). It can be downloaded for {hours:hour:hours}.",
    "failed": "{error}",
    "expired": "Your last export is past its time: start a new one.",
}

FILL = re.compile(r"\{(\w+)(?::([^:{}]*):([^:{}]*))?\}")


def fill(text: str, values: dict) -> str:
    """A page text with its values in: `{name}` as is, `{name:one:many}` as "1 one" or "2 many"
    (static/js/words.js's fill, for what the server writes into the page)."""

    def value(match: re.Match) -> str:
        name, one, many = match.groups()
        shown = values.get(name)
        shown = "" if shown is None else shown
        if one is None:
            return str(shown)
        return f"{shown} {one if shown == 1 else many}"

    return FILL.sub(value, text)


def human_size(size: int | None) -> str:
    """A file's size as people read it: "< 1 KB", "12 KB", "2.5 MB", "120 MB", "1.2 GB"
    (decimal units; static/js/words.js's humanSize says the same)."""
    size = size or 0
    if size < 1000:
        return "< 1 KB"
    if size < 999_500:
        return f"{half_up(size / 1e3)} KB"
    amount, unit = (size / 1e6, "MB") if size < 999_500_000 else (size / 1e9, "GB")
    return f"{half_up(amount * 10) / 10:.1f} {unit}" if amount < 9.95 else f"{half_up(amount)} {unit}"


def half_up(amount: float) -> int:
    """Rounded as JavaScript's Math.round does (Python's round() takes 2.5 to 2)."""
    return math.floor(amount + 0.5)


def export_text(state: dict) -> str:
    progress = state["progress"]
    values = {
        "done": progress["sessions_done"],
        "total": progress["sessions_total"] if progress["sessions_total"] is not None else "…",
        "utterances": progress["utterances"],
        "size": human_size(state["size"]),
        "hours": settings.EXPORT_TTL_HOURS,
        "error": state["error"],
    }
    return fill(EXPORT_TEXTS[state["status"]], values)


# What the page says of an import, by status; static/js/imports.js fills them in as it runs. A
# finished import lists only its counts above zero ("parts", in this order); a stopped one says
# what it brought in before it stopped only if anything.
IMPORT_TEXTS = {
    "uploading": "Uploading {file}: {percent}%…",
    "queued": "{file} is waiting to be imported…",
    "running": "Importing {file}: {done:chat:chats}, {utterances:message:messages} so far…",
    "done": "Imported {file}: {parts}.",
    "doneEmpty": "Imported {file}: it held no chats.",
    "parts": {
        "imported": "{imported:chat:chats} brought in",
        "present": "{present:chat already here:chats already here}",
        "failed": "{failed:chat failed:chats failed}",
        "skipped": "{skipped:hidden, tool or reasoning turn:hidden, tool or reasoning turns} left out",
    },
    "failed": "The import of {file} stopped: {error}",
    "failedAfter": " {imported:chat was:chats were} brought in before it stopped.",
    # The report's Messages cell, shown as "—", for a chat this import added nothing to.
    "noneAdded": "none added",
}


def _job_live(*, event: str, key: str) -> dict:
    """What static/js/job.js needs to follow a job by its live event: the socket, the event's type,
    and where the event carries the job's state. No socket where the workers' events cannot reach
    this server (the embedded default's in-memory layer): the page polls."""
    socket = "/" + SOCKET_PATH if live.reaches_other_processes() else None
    return {"socket": socket, "event": event, "key": key}


def _account_page(request, *, form, settings_now, erase_form, status: int = 200):
    latest_import = import_selectors.conversation_import_list_for_user(user=request.user).first()
    export = selectors.account_export_latest(user=request.user)
    state = selectors.account_export_state(export=export) if export else None
    stats = stats_for_user(user=request.user)
    context = {
        "form": form,
        "settings": settings_now,
        "cap": settings.SESSION_RETENTION_DAYS,
        "trash_days": settings.TRASH_RETENTION_DAYS,
        "export": state,
        "export_text": export_text(state) if state else "",
        "export_config": {
            **_job_live(event="account.export", key="export"),
            "id": str(export.pk) if export else None,
            "statusUrl": reverse("api:account-export-detail", args=[export.pk]) if export else None,
            "status": state["status"] if state else None,
            "texts": EXPORT_TEXTS,
            "hours": settings.EXPORT_TTL_HOURS,
        },
        "import_config": {
            **_job_live(event="account.import", key="import"),
            "url": reverse("api:imports"),
            "latest": (
                import_selectors.conversation_import_state(conversation_import=latest_import) if latest_import else None
            ),
            "texts": IMPORT_TEXTS,
            "chatUrl": reverse("chat", args=["00000000-0000-0000-0000-000000000000"]),
        },
        "import_formats": formats.FORMATS,
        "import_max_bytes": settings.IMPORT_MAX_BYTES,
        "token_count": len(account_selectors.device_token_list_for_user(user=request.user)),
        "erase_form": erase_form,
        "stats": stats,
        "usage_chart": usage_chart_svg(stats.tokens),
    }
    return render(request, "accounts/account.html", context, status=status)


@require_http_methods(["POST"])
def account_export(request):
    services.account_export_start(user=request.user)
    messages.success(request, "Your export has started: it shows here as it goes.")
    return redirect("accounts:account")


@require_http_methods(["POST"])
def account_erase(request):
    form = EraseForm(request.POST)
    if form.is_valid():
        # authenticate(): django-axes counts a wrong password here as a failed log-in.
        confirmed = authenticate(request, username=request.user.email, password=form.cleaned_data["password"])
        if confirmed is not None and confirmed.pk == request.user.pk:
            services.account_erase(user=request.user)
            logout(request)
            messages.success(request, "Your account and everything in it were deleted.")
            return redirect("accounts:login")
        form.add_error("password", "Wrong password.")
    current = account_selectors.account_settings_get(user=request.user)
    retention = RetentionForm(choices=current.retention_choices)
    return _account_page(request, form=retention, settings_now=current, erase_form=form, status=400)

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import LoginForm, SignupForm
from accounts.lockout import signup_attempt_allowed
from accounts.models import DeviceToken
from imports import formats
from imports import selectors as import_selectors


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    if not settings.SIGNUP_OPEN:
        return render(request, "accounts/signup_closed.html", status=403)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and not signup_attempt_allowed(request):
        form.add_error(None, "Too many sign-ups from this address. Try again in an hour.")
        return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=429)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url or "home")
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


class EmailLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "signup_open": settings.SIGNUP_OPEN}


class SocketClosingLogoutView(LogoutView):
    """Log out, then close this browser's open chat sockets (the others of the account stay)."""

    def post(self, request, *args, **kwargs):
        user_id = request.user.pk
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            services.sockets_recheck(user_ids=[user_id])
        return response


class SocketClosingPasswordChangeView(PasswordChangeView):
    """Change the password; every other log-in session's sockets close, this browser's stay.

    The device tokens are revoked by the change itself (accounts.authentication); the sockets are
    asked to re-check only here, after this session's hash has been updated, so that they compare
    against the new one.
    """

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.sockets_recheck(user_ids=[self.request.user.pk])
        return response


class DeviceTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The program or device that will use it, such as “Voice agent”.")


@require_http_methods(["GET", "POST"])
def device_tokens(request):
    form = DeviceTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.device_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = DeviceTokenForm()
    tokens = selectors.device_token_list_for_user(user=request.user)
    context = {"form": form, "tokens": tokens, "new_key": new_key, "ttl_days": settings.REST_KNOX["TOKEN_TTL"].days}
    response = render(request, "accounts/device_tokens.html", context)
    # The new key is on this page only: never kept by a cache or the browser's history.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
def device_token_revoke(request, token_id):
    try:
        services.device_token_revoke(user=request.user, public_id=token_id)
    except DeviceToken.DoesNotExist:
        raise Http404("No such token.") from None
    messages.success(request, "Token revoked: programs using it are signed out.")
    return redirect("accounts:device_tokens")


class RetentionForm(forms.Form):
    retention = forms.ChoiceField(label="Keep inactive chats")

    def __init__(self, *args, choices: list[int | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retention"].choices = [
            (
                "keep" if days is None else str(days),
                "As long as this service keeps them" if days is None else f"{days} days",
            )
            for days in choices
        ]


class EraseForm(forms.Form):
    password = forms.CharField(label="Your password", strip=False, widget=forms.PasswordInput)


@require_http_methods(["GET", "POST"])
def account(request):
    """The account page: retention, the whole-account export, devices, erasure."""
    current = selectors.account_settings_get(user=request.user)
    initial = {"retention": "keep" if current.retention_days is None else str(current.retention_days)}
    form = RetentionForm(request.POST or None, initial=initial, choices=current.retention_choices)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["retention"]
        services.account_settings_update(user=request.user, retention_days=None if chosen == "keep" else int(chosen))
        messages.success(request, "Saved.")
        return redirect("accounts:account")
    return _account_page(request, form=form, settings_now=current, erase_form=EraseForm())


# What the page says of an export, by status; static/js/account.js fills in the same while it runs.
EXPORT_TEXTS = {
    "queued": "Your export is waiting to start…",
    "running": "Exporting: {done} of {total} chats, {utterances} messages so far…",
    "done": "Your export is ready ({megabytes} MB). It can be downloaded for {hours} hours.",
    "failed": "{error}",
    "expired": "Your last export is past its time: start a new one.",
}


def export_text(state: dict) -> str:
    progress = state["progress"]
    return EXPORT_TEXTS[state["status"]].format(
        done=progress["sessions_done"],
        total=progress["sessions_total"] if progress["sessions_total"] is not None else "…",
        utterances=progress["utterances"],
        megabytes=f"{(state['size'] or 0) / 1_000_000:.1f}",
        hours=settings.EXPORT_TTL_HOURS,
        error=state["error"],
    )


# What the page says of an import, by status; static/js/imports.js fills them in as it runs.
IMPORT_TEXTS = {
    "uploading": "Uploading {file}: {percent}%…",
    "queued": "{file} is waiting to be imported…",
    "running": "Importing {file}: {done} chats, {utterances} messages so far…",
    "done": (
        "Imported {file}: {imported} chats brought in, {present} already here, {failed} failed, "
        "{skipped} hidden, tool or reasoning turns left out."
    ),
    "failed": "The import of {file} stopped: {error} {imported} chats were brought in before it stopped.",
}


def _account_page(request, *, form, settings_now, erase_form, status: int = 200):
    latest_import = import_selectors.conversation_import_list_for_user(user=request.user).first()
    export = selectors.account_export_latest(user=request.user)
    state = selectors.account_export_state(export=export) if export else None
    context = {
        "form": form,
        "settings": settings_now,
        "cap": settings.SESSION_RETENTION_DAYS,
        "trash_days": settings.TRASH_RETENTION_DAYS,
        "export": state,
        "export_text": export_text(state) if state else "",
        "export_config": {
            "statusUrl": reverse("api:account-export-detail", args=[export.pk]) if export else None,
            "status": state["status"] if state else None,
            "texts": EXPORT_TEXTS,
            "hours": settings.EXPORT_TTL_HOURS,
        },
        "import_config": {
            "url": reverse("api:imports"),
            "latest": (
                import_selectors.conversation_import_state(conversation_import=latest_import) if latest_import else None
            ),
            "texts": IMPORT_TEXTS,
            "chatUrl": reverse("chat", args=["00000000-0000-0000-0000-000000000000"]),
        },
        "import_formats": formats.FORMATS,
        "import_max_megabytes": settings.IMPORT_MAX_BYTES // 1024**2,
        "token_count": len(selectors.device_token_list_for_user(user=request.user)),
        "erase_form": erase_form,
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
    current = selectors.account_settings_get(user=request.user)
    retention = RetentionForm(choices=current.retention_choices)
    return _account_page(request, form=retention, settings_now=current, erase_form=form, status=400)

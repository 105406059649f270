from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import LoginForm, SignupForm
from accounts.lockout import signup_attempt_allowed
from accounts.models import DeviceToken


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

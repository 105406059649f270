"""The shared page, `/s/<id>/` (docs/sharing.md): a link's snapshot, server-rendered, or why not
(sign in, the password form, gone, not found). Never indexed, never cached, no referrer sent to other sites."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.lockout import client_address
from sharing.models import Share
from sharing.selectors import Reason, share_for_viewer, share_list_for_user
from sharing.services import share_copy, share_revoke, share_view_count

UNLOCKED_KEY = "shares_unlocked"
TEMPLATES = {
    Reason.OK: "sharing/shared.html",
    Reason.PASSWORD: "sharing/password.html",
    Reason.WRONG_PASSWORD: "sharing/password.html",
    Reason.LOCKED_OUT: "sharing/password.html",
    Reason.SIGN_IN: "sharing/unavailable.html",
    Reason.GONE: "sharing/unavailable.html",
    Reason.NOT_FOUND: "sharing/unavailable.html",
    Reason.TOO_MANY_COPIES: "sharing/unavailable.html",
}


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def shared_page(request: HttpRequest, share_id: str) -> HttpResponse:
    client = client_address(request)
    unlocked = request.session.get(UNLOCKED_KEY, {})
    decision = share_for_viewer(
        share_id=share_id,
        viewer=request.user,
        client=client,
        password=request.POST.get("password", "") if request.method == "POST" else None,
        unlocked=unlocked.get(share_id),
    )
    share = decision.share
    if decision.unlocked:
        request.session[UNLOCKED_KEY] = {**unlocked, share_id: decision.unlocked}
    if decision.reason == Reason.OK and request.user.pk != share.user_id:
        share_view_count(
            share=share, visitor=f"user:{request.user.pk}" if request.user.is_authenticated else f"addr:{client}"
        )
    return _render(request, decision)


@require_http_methods(["POST"])
def shared_copy(request: HttpRequest, share_id: str) -> HttpResponse:
    """ "Continue as copy" (signed-in visitors only: the log-in page otherwise): the new chat opens."""
    decision, session = share_copy(
        user=request.user,
        share_id=share_id,
        client=client_address(request),
        unlocked=request.session.get(UNLOCKED_KEY, {}).get(share_id),
    )
    if session is None:
        return _render(request, decision)
    return redirect("chat", session_id=session.pk)


def _render(request: HttpRequest, decision) -> HttpResponse:
    response = render(
        request,
        TEMPLATES[decision.reason],
        {"share": decision.share if decision.reason == Reason.OK else None, "reason": decision.reason},
        status=decision.status,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def shares_page(request: HttpRequest) -> HttpResponse:
    """The user's "Shared links": every link, newest first, with its views and last view, its
    address to copy and a Revoke button."""
    rows = share_list_for_user(user=request.user)
    now = timezone.now()
    for share in rows:
        share.address = request.build_absolute_uri(share.get_absolute_url())
        share.ended = share.revoked_at is not None or (share.expires_at is not None and share.expires_at <= now)
    return render(request, "sharing/shares.html", {"rows": rows})


@require_POST
def shares_revoke(request: HttpRequest, share_id: str) -> HttpResponse:
    try:
        share = share_revoke(user=request.user, share_id=share_id)
    except Share.DoesNotExist:
        raise Http404("No such link.") from None
    messages.success(request, f"Revoked the link to \u201c{share.title}\u201d: it no longer opens.")
    return redirect("shares")

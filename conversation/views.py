"""The chat page and the HTML fragments its scripts load (more sessions, older messages)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from conversation.folders.selectors import folder_tree_for_user
from conversation.frames import SOCKET_PATH
from conversation.history.landing import utterance_page_landing
from conversation.history.pages import utterance_page
from conversation.labels import LABELS
from conversation.models import Session
from conversation.pagination import session_page_for_page
from conversation.sessions import bulk
from conversation.sessions.create import session_update
from conversation.sessions.lifecycle import session_delete, session_restore
from conversation.sessions.lists import NO_FOLDER, recency_group
from conversation.sessions.lookup import session_get_for_user
from conversation.sessions.personas import persona_list

SIDEBAR_PAGE_SIZE = 50
MESSAGES_PAGE_SIZE = 50
# Stands for a session id in the URLs the page's scripts fill in.
ID_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
# The rows the page's <template> elements render, for its scripts to fill in (static/js/chat/).
ROW_PLACEHOLDERS = {
    "session": {"id": ID_PLACEHOLDER, "title": "", "preview": "", "message_count": 0, "last_activity_at": None},
    "message": {"role": "user", "seq": "", "text": "", "metadata": {}},
}


def _page_urls() -> dict[str, str]:
    """The URLs the page's scripts use, `ID_PLACEHOLDER` standing for a session id."""
    return {
        "home": reverse("home"),
        "chat": reverse("chat", args=[ID_PLACEHOLDER]),
        "messages": reverse("chat-messages", args=[ID_PLACEHOLDER]),
        "sidebar": reverse("chat-sidebar"),
        "sessions": reverse("api:sessions"),
        "session": reverse("api:session", args=[ID_PLACEHOLDER]),
        "clear": reverse("api:session-clear", args=[ID_PLACEHOLDER]),
        "restore": reverse("api:session-restore", args=[ID_PLACEHOLDER]),
        "export": reverse("api:session-export", args=[ID_PLACEHOLDER]),
        "utterances": reverse("api:utterances", args=[ID_PLACEHOLDER]),
        "fork": reverse("api:session-fork", args=[ID_PLACEHOLDER]),
        "switch": reverse("api:session-switch", args=[ID_PLACEHOLDER]),
        "search": reverse("api:search"),
        "socket": "/" + SOCKET_PATH,
        "tags": reverse("api:tags"),
        "sessionTags": reverse("api:session-tags", args=[ID_PLACEHOLDER]),
        "bulk": reverse("api:sessions-bulk"),
        "folders": reverse("api:folders"),
        "folder": reverse("api:folder", args=[ID_PLACEHOLDER]),
        "folderTree": reverse("chat-folders"),
        "sessionShare": reverse("api:session-share", args=[ID_PLACEHOLDER]),
        "share": reverse("api:share", args=[ID_PLACEHOLDER]),
        "sessionContext": reverse("api:session-context", args=[ID_PLACEHOLDER]),
        "contextSummary": reverse("api:session-context-summary", args=[ID_PLACEHOLDER]),
    }


def _grouped(sessions: list[dict], *, previous_group: str | None = None) -> list[tuple[str | None, dict]]:
    """(group heading or None, session row) pairs: a heading where the recency group changes. Pinned
    sessions are left out: the sidebar shows them in their own group on top."""
    rows = []
    for session in sessions:
        if session["pinned_at"] is not None:
            continue
        group = recency_group(session["last_activity_at"])
        rows.append((group if group != previous_group else None, session))
        previous_group = group
    return rows


@require_GET
@ensure_csrf_cookie
def chat(request, session_id=None):
    """`/` is a new chat; `/c/<uuid>/` opens a session with its latest messages."""
    page = landing = None
    if session_id is not None:
        try:
            if "at" in request.GET:  # landing on a message (docs/landing.md)
                landing = utterance_page_landing(
                    user=request.user,
                    session_id=session_id,
                    around=request.GET["at"],
                    limit=MESSAGES_PAGE_SIZE,
                    max_chars=settings.MESSAGES_PAGE_MAX_CHARS,
                )
                page = landing.page
            else:
                page = utterance_page(
                    user=request.user,
                    session_id=session_id,
                    limit=MESSAGES_PAGE_SIZE,
                    max_chars=settings.MESSAGES_PAGE_MAX_CHARS,
                    with_session=True,
                )
        except Session.DoesNotExist:
            raise Http404("No such chat.") from None
    sidebar, sidebar_cursor = session_page_for_page(
        request=request, user=request.user, page_size=SIDEBAR_PAGE_SIZE, folder=NO_FOLDER
    )
    pinned, pinned_cursor = session_page_for_page(
        request=request, user=request.user, page_size=SIDEBAR_PAGE_SIZE, view="pinned"
    )
    personas = list(persona_list())
    session = page.session if page else None
    context = {
        "session": session,
        "page": page,
        "sidebar": _grouped(sidebar),
        "sidebar_cursor": sidebar_cursor,
        "pinned": pinned,
        "pinned_cursor": pinned_cursor,
        "personas": personas,
        "folders": folder_tree_for_user(user=request.user),
        "max_depth": settings.MAX_FOLDER_DEPTH,
        "model_configured": bool(settings.ASSISTANT_BASE_URL),
        "row_placeholders": ROW_PLACEHOLDERS,
        "landing": landing,
        "config": {
            "userId": request.user.pk,
            "sessionId": str(session.pk) if session else None,
            "firstSeq": page.utterances[0].seq if page and page.utterances else None,
            "lastSeq": page.utterances[-1].seq if page and page.utterances else 0,
            "hasOlder": bool(page and page.has_before),
            "sidebarCursor": sidebar_cursor,
            "pinnedCursor": pinned_cursor,
            "pinned": bool(session and session.pinned_at),
            "archived": bool(session and session.archived_at),
            "maxChars": settings.MAX_UTTERANCE_CHARS,
            "idPlaceholder": ID_PLACEHOLDER,
            "urls": _page_urls(),
            "labels": LABELS,
            "maxTags": settings.MAX_TAGS,
            "landing": _landing_config(landing),
            "folder": str(session.folder_id) if session and session.folder_id else None,
        },
        "labels": LABELS,
    }
    return render(request, "conversation/chat.html", context)


def _landing_config(landing) -> dict | None:
    """What static/js/chat/landing.js needs of a page opened at a message."""
    if landing is None or landing.at is None:
        return None
    return {"at": landing.at, "leaf": landing.leaf, "hasNewer": landing.page.has_after}


@require_GET
def sidebar_fragment(request):
    """The next page of the sidebar's recency list (the chats in no folder), of its Pinned group with
    `?view=pinned`, or of one folder's chats with `?folder={id}` (its pinned ones are in Pinned)."""
    view = "pinned" if request.GET.get("view") == "pinned" else "live"
    folder = request.GET.get("folder") if view == "live" else None
    try:
        rows, next_cursor = session_page_for_page(
            request=request,
            user=request.user,
            page_size=SIDEBAR_PAGE_SIZE,
            view=view,
            folder=(folder or NO_FOLDER) if view == "live" else None,
        )
    except ValidationError:
        return HttpResponseBadRequest("Invalid cursor or folder.")
    if view == "pinned":
        sidebar = [(None, row) for row in rows]
    elif folder:
        sidebar = [(None, row) for row in rows if row["pinned_at"] is None]
    else:
        sidebar = _grouped(rows, previous_group=request.GET.get("group"))
    response = render(request, "conversation/_sidebar_items.html", {"sidebar": sidebar, "current_id": None})
    response["X-Next-Cursor"] = next_cursor or ""
    return response


@require_GET
def folders_fragment(request):
    """The sidebar's folder tree, as the page first renders it (after a folders.changed event)."""
    context = {
        "nodes": folder_tree_for_user(user=request.user),
        "labels": LABELS,
        "max_depth": settings.MAX_FOLDER_DEPTH,
    }
    return render(request, "conversation/_folder_tree.html", context)


@require_GET
def messages_fragment(request, session_id):
    try:
        page = utterance_page(
            user=request.user,
            session_id=session_id,
            before=request.GET.get("before"),
            after=request.GET.get("after"),
            limit=request.GET.get("limit") or MESSAGES_PAGE_SIZE,
            max_chars=settings.MESSAGES_PAGE_MAX_CHARS,
            leaf=request.GET.get("leaf") or None,
        )
    except Session.DoesNotExist:
        raise Http404("No such chat.") from None
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    response = render(request, "conversation/_messages.html", {"rows": page.rows()})
    response["X-Has-Before"] = "1" if page.has_before else "0"
    response["X-Has-After"] = "1" if page.has_after else "0"
    return response


LIST_PAGE_SIZE = 50


def _list_page(request, *, view: str, template: str, **context):
    """One page of one of the user's lists (`?cursor=`), rendered with `template`; 400 for a bad cursor."""
    try:
        rows, next_cursor = session_page_for_page(
            request=request, user=request.user, page_size=LIST_PAGE_SIZE, view=view
        )
    except ValidationError:
        return HttpResponseBadRequest("Invalid cursor.")
    return render(request, template, {"rows": rows, "next_cursor": next_cursor, **context})


@require_GET
def archived(request):
    """The user's archived chats, newest activity first: open one, or put it back in the sidebar."""
    return _list_page(request, view="archived", template="conversation/archived.html")


@require_POST
def archived_restore(request, session_id):
    try:
        session = session_update(user=request.user, session_id=session_id, archived=False)
    except Session.DoesNotExist:
        raise Http404("No such chat.") from None
    messages.success(request, f"\u201c{session.display_title}\u201d is back in your chats.")
    return redirect("archived")


@require_GET
def trash(request):
    """The user's trash, newest deletion first: restore a chat or delete it for good, or empty it."""
    return _list_page(
        request, view="trash", template="conversation/trash.html", retention_days=settings.TRASH_RETENTION_DAYS
    )


@require_POST
def trash_restore(request, session_id):
    try:
        session = session_restore(user=request.user, session_id=session_id)
    except Session.DoesNotExist:
        raise Http404("No such chat.") from None
    messages.success(request, f"Restored \u201c{session.display_title}\u201d.")
    return redirect("trash")


@require_POST
def trash_delete(request, session_id):
    try:
        session = session_get_for_user(user=request.user, session_id=session_id, in_trash=True)
        session_delete(user=request.user, session_id=session.pk)
    except Session.DoesNotExist:
        raise Http404("No such chat.") from None
    messages.success(request, f"Deleted \u201c{session.display_title}\u201d for good.")
    return redirect("trash")


@require_POST
def trash_empty(request):
    sessions, _ = bulk.trash_empty(user=request.user)
    messages.success(request, f"Emptied the trash: {sessions} chat{'s' if sessions != 1 else ''} deleted for good.")
    return redirect("trash")

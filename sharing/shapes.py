"""A shared link as its owner sees it on every door (the API, the account's export): built here
and nowhere else. Never the snapshot's messages: a list of links stays small."""

from datetime import tzinfo

from chatproject.timestamps import iso_datetime
from sharing.models import Share


def share(share: Share, *, zone: tzinfo | None = None) -> dict:
    return {
        "id": share.pk,
        "url": share.get_absolute_url(),
        "session": str(share.session_id),
        "title": share.title,
        "message_count": share.message_count,
        "snapshot_at": iso_datetime(share.snapshot_at, zone),
        "display_name": share.display_name,
        "audience": share.audience,
        "emails": list(share.emails),
        "expires_at": iso_datetime(share.expires_at, zone),
        "has_password": bool(share.password_hash),
        "revoked_at": iso_datetime(share.revoked_at, zone),
        "view_count": share.view_count,
        "last_viewed_at": iso_datetime(share.last_viewed_at, zone),
        "created_at": iso_datetime(share.created_at, zone),
        "updated_at": iso_datetime(share.updated_at, zone),
    }

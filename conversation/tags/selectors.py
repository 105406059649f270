"""Reads of a user's tags: suggestions as typed, one tag, and the tags of a name."""

import uuid

from django.db.models import QuerySet
from django.db.models.functions import Lower

from accounts.models import User
from conversation.models import Tag

TAG_SUGGESTIONS = 20  # tag_list_for_user's default bound: what a suggestion list shows


def tag_id_parse(tag_id: uuid.UUID | str) -> uuid.UUID:
    """A tag id as a UUID; a malformed one is "not found", like a missing tag."""
    if isinstance(tag_id, uuid.UUID):
        return tag_id
    try:
        return uuid.UUID(str(tag_id))
    except ValueError:
        raise Tag.DoesNotExist("No such tag.") from None


def tag_list_for_user(*, user: User, prefix: str = "", limit: int = TAG_SUGGESTIONS) -> list[Tag]:
    """The user's tags whose name starts with `prefix` in any case (all of them for ""), by name in
    any case, at most `limit` (the tags are at most settings.MAX_TAGS): one query."""
    queryset: QuerySet[Tag] = Tag.objects.filter(user=user)
    prefix = " ".join(prefix.split())
    if prefix:
        # startswith escapes LIKE's wildcards: a typed % or _ is matched as itself.
        queryset = queryset.alias(lower_name=Lower("name")).filter(lower_name__startswith=prefix.lower())
    return list(queryset.order_by(Lower("name"), "name")[:limit])


def tag_get_for_user(*, user: User, tag_id: uuid.UUID | str) -> Tag:
    """The user's tag; another user's tag and a malformed id are Tag.DoesNotExist, like a missing one."""
    return Tag.objects.get(user=user, pk=tag_id_parse(tag_id))

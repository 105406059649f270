"""Writes of a user's tags and of their chats' tags (docs/tags.md).

A chat's tags are its SessionTag rows and, by name, Session.tag_names (sorted case-insensitively):
every service here writes both in one transaction. Each first locks the user's row, then the
sessions it changes in id order: a user's tag writes take turns (a tag made twice at once is one
tag, MAX_TAGS holds exactly, a rename never misses a chat tagged meanwhile) and never deadlock.
A caller must not hold a lock on any of the user's sessions already (take none before calling).
Another user's session or tag, a malformed id and a session in the trash are "not found".
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import User
from chatproject import live
from conversation import events
from conversation.models import Session, SessionTag, Tag
from conversation.sessions.lookup import session_id_parse
from conversation.tags.names import tag_key, tag_name_clean, tag_names_clean, tag_names_sorted
from conversation.tags.selectors import tag_get_for_user


@dataclass(frozen=True)
class TaggingResult:
    done: int  # the user's sessions found (those already so included)
    not_found: list[str]  # the ids given that name none of them (another user's, malformed, missing, trashed)


@transaction.atomic
def sessions_tag(*, user: User, session_ids: Sequence[uuid.UUID | str], names: Sequence[str]) -> TaggingResult:
    """Tag the user's sessions with each name: a name matching one of the user's tags in any case
    is that tag (its stored spelling kept), others become new tags. ValidationError, nothing
    written, for a bad name, past MAX_TAGS or when a chat would have more than MAX_TAGS_PER_SESSION."""
    wanted = tag_names_clean(names)
    return _sessions_retag(user=user, session_ids=session_ids, names=wanted, change=lambda now, given: now | given)[0]


@transaction.atomic
def sessions_untag(*, user: User, session_ids: Sequence[uuid.UUID | str], names: Sequence[str]) -> TaggingResult:
    """Take the named tags (in any case; names of no tag are ignored) off the user's sessions. The
    tags themselves stay, for other chats and suggestions (tag_delete removes one)."""
    wanted = tag_names_clean(names)
    return _sessions_retag(
        user=user, session_ids=session_ids, names=wanted, change=lambda now, given: now - given, create=False
    )[0]


@transaction.atomic
def session_tags_set(*, user: User, session_id: uuid.UUID | str, names: Sequence[str]) -> list[str]:
    """Make the session's tags exactly `names` (an empty list: none); returns its tag_names.
    Session.DoesNotExist for a session not the user's or in the trash; ValidationError as sessions_tag."""
    wanted = tag_names_clean(names)
    _, sessions = _sessions_retag(user=user, session_ids=[session_id], names=wanted, change=lambda now, given: given)
    if not sessions:
        raise Session.DoesNotExist("No such session.")
    return list(sessions[0].tag_names)


@transaction.atomic
def tag_rename(*, user: User, tag_id: uuid.UUID | str, name: str) -> Tag:
    """Rename one of the user's tags, rewriting the tag_names of every chat it is on (those in the
    trash too). A name that is another of the user's tags in any case is refused (ValidationError),
    not merged; a new spelling of the same name is a rename."""
    name = tag_name_clean(name)
    _user_lock(user)
    tag = tag_get_for_user(user=user, tag_id=tag_id)
    if tag.name == name:
        return tag
    others = Tag.objects.filter(user=user).exclude(pk=tag.pk).values_list("name", flat=True)
    if any(tag_key(other) == tag_key(name) for other in others):
        raise ValidationError({"name": [f"You have a tag named {name!r} already."]})
    tag.name = name
    _tags_write(lambda: tag.save(update_fields=["name"]), names=[name])
    sessions = _sessions_of_tag_locked(tag)
    _tag_names_write(sessions, _links_of(sessions), _tag_names_by_id(user))
    _announce(user, sessions=sessions, tags_changed=True)
    return tag


@transaction.atomic
def tag_delete(*, user: User, tag_id: uuid.UUID | str) -> None:
    """Delete one of the user's tags, taking it off every chat it is on (those in the trash too)."""
    _user_lock(user)
    tag = tag_get_for_user(user=user, tag_id=tag_id)
    sessions = _sessions_of_tag_locked(tag)
    tag.delete()
    _tag_names_write(sessions, _links_of(sessions), _tag_names_by_id(user))
    _announce(user, sessions=sessions, tags_changed=True)


def _user_lock(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _sessions_retag(
    *,
    user: User,
    session_ids: Sequence[uuid.UUID | str],
    names: list[str],
    change: Callable[[set[uuid.UUID], set[uuid.UUID]], set[uuid.UUID]],
    create: bool = True,
) -> tuple[TaggingResult, list[Session]]:
    """Each found session's tag ids become change(its tag ids, the named tags' ids); returns the
    result and the sessions found, their tag_names set."""
    parsed: dict[str, uuid.UUID] = {}
    not_found: list[str] = []
    for raw in dict.fromkeys(str(session_id) for session_id in session_ids):
        try:
            parsed[raw] = session_id_parse(raw)
        except Session.DoesNotExist:
            not_found.append(raw)
    _user_lock(user)
    sessions = list(
        Session.objects.filter(user=user, id__in=list(parsed.values()), deleted_at__isnull=True)
        .select_for_update(of=("self",))
        .order_by("id")
        .only("id", "user_id", "tag_names")
    )
    found = {session.pk for session in sessions}
    not_found += [raw for raw, session_id in parsed.items() if session_id not in found]
    tags = {tag_key(tag.name): tag for tag in Tag.objects.filter(user=user)}
    new_tags = [Tag(user=user, name=name) for name in names if tag_key(name) not in tags] if create else []
    if len(tags) + len(new_tags) > settings.MAX_TAGS:
        raise ValidationError({"names": [f"You can have at most {settings.MAX_TAGS} tags; delete some first."]})
    tags.update({tag_key(tag.name): tag for tag in new_tags})
    given = {tags[tag_key(name)].pk for name in names if tag_key(name) in tags}
    links = _links_of(sessions)
    after = {session.pk: change(links[session.pk], given) for session in sessions}
    if any(len(tag_ids) > settings.MAX_TAGS_PER_SESSION for tag_ids in after.values()):
        raise ValidationError(
            {"names": [f"A chat can have at most {settings.MAX_TAGS_PER_SESSION} tags; remove some first."]}
        )
    if not sessions:
        return TaggingResult(done=0, not_found=not_found), []
    if new_tags:
        _tags_write(lambda: Tag.objects.bulk_create(new_tags), names=[tag.name for tag in new_tags])
    removed = Q()
    for session in sessions:
        if links[session.pk] - after[session.pk]:
            removed |= Q(session_id=session.pk, tag_id__in=list(links[session.pk] - after[session.pk]))
    if removed:
        SessionTag.objects.filter(removed).delete()
    SessionTag.objects.bulk_create(
        [SessionTag(session_id=s.pk, tag_id=t) for s in sessions for t in sorted(after[s.pk] - links[s.pk])]
    )
    names_by_id = {tag.pk: tag.name for tag in tags.values()}
    changed = _tag_names_write(sessions, after, names_by_id)
    _announce(user, sessions=changed, tags_changed=bool(new_tags))
    return TaggingResult(done=len(sessions), not_found=not_found), sessions


def _tags_write(write: Callable[[], object], *, names: list[str]) -> None:
    """Save tags; a name the database's lower() makes another tag's (tag_user_name_unique) though
    tag_key does not ("İ" is "i" to PostgreSQL) is a clear 400, not a 500."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        shown = ", ".join(repr(name) for name in names)
        raise ValidationError({"names": [f"You have a tag named like {shown} already, in another case."]}) from None


def _sessions_of_tag_locked(tag: Tag) -> list[Session]:
    """The sessions a tag is on, locked in id order (the user's lock, held, keeps the set still)."""
    return list(
        Session.objects.filter(tag_links__tag=tag)
        .select_for_update(of=("self",))
        .order_by("id")
        .only("id", "user_id", "tag_names")
    )


def _links_of(sessions: list[Session]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """{session id: its tag ids}, one query."""
    links: dict[uuid.UUID, set[uuid.UUID]] = {session.pk: set() for session in sessions}
    rows = SessionTag.objects.filter(session_id__in=list(links)).values_list("session_id", "tag_id")
    for session_id, tag_id in rows:
        links[session_id].add(tag_id)
    return links


def _tag_names_by_id(user: User) -> dict[uuid.UUID, str]:
    return dict(Tag.objects.filter(user=user).values_list("id", "name"))


def _tag_names_write(
    sessions: list[Session], tag_ids: dict[uuid.UUID, set[uuid.UUID]], names_by_id: dict[uuid.UUID, str]
) -> list[Session]:
    """Set each session's tag_names from its tag ids, writing those that changed (one UPDATE);
    returns them."""
    changed = []
    for session in sessions:
        names = tag_names_sorted(names_by_id[tag_id] for tag_id in tag_ids[session.pk])
        if names != session.tag_names:
            session.tag_names = names
            changed.append(session)
    if changed:
        Session.objects.bulk_update(changed, ["tag_names"])
    return changed


def _announce(user: User, *, sessions: list[Session], tags_changed: bool) -> None:
    """After the commit: the chats' new tags and, when the user's tags changed, their list."""
    published = []
    if tags_changed:
        tags = Tag.objects.filter(user=user).order_by(Lower("name"), "name")
        published.append((live.user_group(user.pk), events.tags_changed(tags=list(tags))))
    if sessions:
        published.append((live.user_group(user.pk), events.sessions_tags(sessions=sessions)))
    if published:
        live.publish_after_commit(published)

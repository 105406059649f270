"""Folders and tags for search tests, written as their services will (they come with the folders
and tags features): the rows, and Session.tag_names kept exact."""

from conversation.models import Folder, Session, SessionTag, Tag


def folder(user, name: str, parent: Folder | None = None) -> Folder:
    return Folder.objects.create(user=user, name=name, parent=parent, depth=parent.depth + 1 if parent else 1)


def file_in(session: Session, place: Folder) -> None:
    Session.objects.filter(pk=session.pk).update(folder=place)


def tag(user, session: Session, *names: str) -> None:
    for name in names:
        found = Tag.objects.filter(user=user, name__iexact=name).first() or Tag.objects.create(user=user, name=name)
        SessionTag.objects.get_or_create(session=session, tag=found)
    all_names = sorted(SessionTag.objects.filter(session=session).values_list("tag__name", flat=True), key=str.lower)
    Session.objects.filter(pk=session.pk).update(tag_names=all_names)

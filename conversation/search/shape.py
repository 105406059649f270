"""The shape of a message search's statement, and the conditions both runtimes share.

A search's text depends on which filters it has (and, on PostgreSQL, on its number of terms); each
shape's statement is built once per process and kept (statement_for), as session lists keep theirs.
The values are parameters, in the order `params` gives them.
"""

from dataclasses import dataclass, field
from datetime import datetime

from conversation.models import Persona, Session, SessionTag, Utterance

VIEW_CONDITIONS = {
    "live": "s.{archived} IS NULL AND s.{deleted} IS NULL",
    "pinned": "s.{pinned} IS NOT NULL AND s.{archived} IS NULL AND s.{deleted} IS NULL",
    "archived": "s.{archived} IS NOT NULL AND s.{deleted} IS NULL",
    "trash": "s.{deleted} IS NOT NULL",
}


@dataclass(frozen=True)
class Shape:
    terms: int
    view: str
    active_only: bool
    role: bool = False
    after: bool = False
    before: bool = False
    persona: bool = False
    folders: int = 0
    tags: int = 0
    cursor: bool = False
    ranked: bool = True  # False: the newest matches first, no rank (a partial answer)


@dataclass(frozen=True)
class Search:
    """A parsed and resolved search: every value of its statement."""

    user_id: int
    terms: list[str]
    view: str = "live"
    active_only: bool = False
    role: str | None = None
    after: datetime | None = None  # inclusive
    before: datetime | None = None  # exclusive
    persona: str | None = None
    folder_ids: list = field(default_factory=list)
    tag_ids: list = field(default_factory=list)
    has_folder_filter: bool = False
    cursor: tuple[float, datetime, int] | None = None

    def shape(self, *, terms: int, ranked: bool = True) -> Shape:
        return Shape(
            terms=terms,
            view=self.view,
            active_only=self.active_only,
            role=self.role is not None,
            after=self.after is not None,
            before=self.before is not None,
            persona=self.persona is not None,
            folders=len(self.folder_ids),
            tags=len(self.tag_ids),
            cursor=ranked and self.cursor is not None,
            ranked=ranked,
        )

    def filter_params(self, *, adapt_datetime, adapt_uuid) -> list:
        """The values of filter_terms, in their order."""
        params: list = [self.user_id]
        if self.role is not None:
            params.append(self.role)
        if self.after is not None:
            params.append(adapt_datetime(self.after))
        if self.before is not None:
            params.append(adapt_datetime(self.before))
        if self.persona is not None:
            params.append(self.persona)
        params += [adapt_uuid(pk) for pk in self.folder_ids]
        params += [adapt_uuid(pk) for pk in self.tag_ids]
        return params


def names(quote) -> dict:
    """Tables and columns, quoted for the vendor: the models', never typed twice."""
    s = Session._meta.get_field
    return {
        "utterance": quote(Utterance._meta.db_table),
        "session": quote(Session._meta.db_table),
        "persona_table": quote(Persona._meta.db_table),
        "sessiontag": quote(SessionTag._meta.db_table),
        "archived": quote(s("archived_at").column),
        "deleted": quote(s("deleted_at").column),
        "pinned": quote(s("pinned_at").column),
    }


def filter_terms(shape: Shape, quote, *, user_cast: str = "") -> list[str]:
    """The WHERE terms after the text match, with filter_params' values, in order."""
    n = names(quote)
    terms = [f"u.user_id = %s{user_cast}", "u.is_final", VIEW_CONDITIONS[shape.view].format(**n)]
    if shape.role:
        terms.append("u.role = %s")
    if shape.after:
        terms.append("u.created_at >= %s")
    if shape.before:
        terms.append("u.created_at < %s")
    if shape.persona:
        terms.append(f"s.persona_id = (SELECT p.id FROM {n['persona_table']} p WHERE p.slug = %s)")  # noqa: S608
    if shape.folders:
        terms.append(f"s.folder_id IN ({', '.join(['%s'] * shape.folders)})")
    # Several tags: all of them (one EXISTS each, on sessiontag's (session, tag) unique index).
    terms += [
        f"EXISTS (SELECT 1 FROM {n['sessiontag']} st WHERE st.session_id = s.id AND st.tag_id = %s)"  # noqa: S608
    ] * shape.tags
    return terms

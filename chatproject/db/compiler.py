"""What the ORM's SQL compiler does for a statement written by hand: convert the values of its
columns as a queryset would, and write a queryset's WHERE."""

from collections.abc import Sequence

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, QuerySet
from django.db.models.sql import Query


class RowConverters:
    """The converters a queryset applies to these columns on `db`, given as (table alias, model field)
    pairs in the order a statement selects them (SQLite gives UUIDs as 32 hex digits and times as
    text; JSON is decoded everywhere): Django's SQLCompiler.get_converters and apply_converters.
    Built once per column list and database (it costs a compiler); applying them costs no set-up."""

    def __init__(self, *, columns: Sequence[tuple[str, Field]], db: BaseDatabaseWrapper):
        self._compiler = db.ops.compiler("SQLCompiler")(Query(None), db, db.alias)
        self._converters = self._compiler.get_converters([field.get_col(alias) for alias, field in columns])

    def rows(self, rows: list) -> list:
        """The rows with their values converted, each a list; as given when no column needs converting."""
        if not self._converters:
            return rows
        return list(self._compiler.apply_converters(rows, self._converters))

    def row(self, row: Sequence) -> list:
        """One row with its values converted."""
        if not self._converters:
            return list(row)
        return next(self._compiler.apply_converters((row,), self._converters))


def where_sql(queryset: QuerySet, *, db: BaseDatabaseWrapper) -> tuple[str, list]:
    """The WHERE of `queryset` as the ORM writes it for `db` (columns named by their table), and the
    values it binds."""
    query = queryset.query
    condition, values = query.get_compiler(connection=db).compile(query.where)
    return condition, list(values)

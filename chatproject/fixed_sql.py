"""Hot statements written once in SQL: the look-ups that API calls make on every request, and the
claim that every chat turn takes and releases.

Through the ORM, building and compiling a query cost two to three times running it: the token
look-up of every API call (0.64 ms against 0.15 ms) and a page of the session list (1.2 ms against
0.35 ms), measured in-process for issue 16. A FixedStatement's text is built once per process for
the connection's vendor. On PostgreSQL it runs server-bound, so psycopg quotes nothing in Python
and prepares it after DB_PREPARE_THRESHOLD runs on a connection. Its columns are converted by the
ORM's own converters, so a row holds what a queryset of the same fields gives, on SQLite too.
"""

from collections.abc import Callable, Sequence

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.expressions import RawSQL

from chatproject.db.compiler import RowConverters, where_sql
from chatproject.db.cursors import server_bound_cursor


class FixedStatement:
    """`sql(quote)` gives the statement's text (`quote` quotes a name for the vendor); `columns()`
    gives what it selects, in order, as (table alias, model field) pairs, for their converters.
    `server_bound=False` runs it on Django's own cursor (bound on the client, never prepared): for a
    statement whose best plan depends on its values."""

    def __init__(
        self,
        *,
        sql: Callable[[Callable[[str], str]], str],
        columns: Callable[[], Sequence[tuple[str, Field]]],
        server_bound: bool = True,
    ):
        self._sql = sql
        self._columns = columns
        self._server_bound = server_bound
        self._compiled: dict[str, tuple[str, RowConverters]] = {}

    def text(self) -> str:
        return self._compile()[0]

    def rows(self, params: Sequence) -> list:
        """The rows for these parameter values, each a list (a tuple when no column needs converting)."""
        sql, converters = self._compile()
        with self._cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return converters.rows(rows)

    def run(self, params: Sequence) -> int:
        """Runs a statement that gives no rows (an INSERT, a DELETE); the number of rows it changed."""
        with self._cursor() as cursor:
            cursor.execute(self._compile()[0], params)
            return cursor.rowcount

    def _cursor(self) -> CursorWrapper:
        return server_bound_cursor() if self._server_bound else connection.cursor()

    def _compile(self) -> tuple[str, RowConverters]:
        if connection.vendor not in self._compiled:
            self._compiled[connection.vendor] = (
                self._sql(connection.ops.quote_name),
                RowConverters(columns=self._columns(), db=connection),
            )
        return self._compiled[connection.vendor]


class FixedExpression:
    """A part of an ORM query written once in SQL, like a FixedStatement's text: `sql(quote)` gives
    it for the connection's vendor, names from the models; `of(params)` is the expression with these
    values (each a parameter), for annotate() or filter(). For what the ORM writes only as a
    subquery that costs more to build than to run."""

    def __init__(self, *, sql: Callable[[Callable[[str], str]], str], output_field: Callable[[], Field]):
        self._sql = sql
        self._output_field = output_field
        self._texts: dict[str, str] = {}

    def text(self) -> str:
        if connection.vendor not in self._texts:
            self._texts[connection.vendor] = self._sql(connection.ops.quote_name)
        return self._texts[connection.vendor]

    def of(self, params: Sequence) -> RawSQL:
        return RawSQL(self.text(), params, output_field=self._output_field())  # noqa: S611 - values are parameters


def condition_sql(queryset: QuerySet) -> str:
    """The WHERE of a queryset whose conditions hold no values (`IS NULL` and the like), as the ORM
    writes it for the connection, columns named by their table: for a fixed statement's text."""
    condition, values = where_sql(queryset, db=connection)
    if values:
        raise ValueError(f"A fixed statement's condition holds no values: {condition} {values}")
    return condition


def model_columns(alias: str, model: type[Model]) -> list[tuple[str, Field]]:
    """Every column of `model` under a table alias, in the order from_db takes them (for a statement
    that reads whole instances, with instances_of)."""
    return [(alias, field) for field in model._meta.concrete_fields]


def instances_of(row: Sequence, *models: type[Model]) -> list[Model]:
    """The instances a row of several model_columns() holds, one per model, in order."""
    instances, start = [], 0
    for model in models:
        names = [field.attname for field in model._meta.concrete_fields]
        instances.append(model.from_db(connection.alias, names, row[start : start + len(names)]))
        start += len(names)
    return instances

"""A condition the ORM can write, but at a cost greater than the query it builds: written straight to
SQL here, its columns named by the model's fields and every value a parameter."""

from collections.abc import Sequence
from typing import Any

from django.db.models import BooleanField, Expression, F

# The comparisons a range's bound may make of the value column.
BOUNDS = frozenset({">", ">=", "<", "<="})


def any_of(terms: Sequence[str]) -> str:
    """The SQL terms OR-ed, as a balanced tree of parentheses, in their order. SQLite refuses an
    expression deeper than 1000 (SQLITE_MAX_EXPR_DEPTH), which a flat OR of as many terms is (a
    session's path through a thousand edits); this one is about 2 * log2(n) deep."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({any_of(terms[:middle])} OR {any_of(terms[middle:])})"


class KeyedRanges(Expression):
    """The condition "(key = k AND value > a AND value <= b) OR ...", one term per range: a row whose
    `key` column holds a range's key and whose `value` column lies within its bounds. `ranges` is
    [(key, [(comparison, bound), ...]), ...], each comparison one of BOUNDS.

    The same condition as a Q of ranges (Q(key=k, value__gt=a, value__lte=b) | ...) builds and
    compiles a lookup per comparison, which costs more than running the query for a path of many
    ranges; this resolves its two columns once and writes each term as text. For filter(), When()."""

    def __init__(self, *, key: str, value: str, ranges: Sequence[tuple[Any, Sequence[tuple[str, Any]]]]):
        if not ranges:
            raise ValueError("KeyedRanges needs at least one range.")
        for _, bounds in ranges:
            if not {comparison for comparison, _ in bounds} <= BOUNDS:
                raise ValueError(f"A range's bounds compare with one of {sorted(BOUNDS)}: {bounds}")
        super().__init__(output_field=BooleanField())
        self.key, self.value, self.ranges = F(key), F(value), ranges

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.key}, {self.value}, {self.ranges})"

    def get_source_expressions(self) -> list:
        return [self.key, self.value]

    def set_source_expressions(self, exprs) -> None:
        self.key, self.value = exprs

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        key, key_params = compiler.compile(self.key)
        value, value_params = compiler.compile(self.value)
        terms, params = [], []
        for number, bounds in self.ranges:
            term = f"{key} = %s"
            params += [*key_params, number]
            for comparison, bound in bounds:
                term += f" AND {value} {comparison} %s"
                params += [*value_params, bound]
            terms.append(f"({term})")
        return f"({any_of(terms)})", params

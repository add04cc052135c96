"""Lookups the apps share."""

from __future__ import annotations

import re

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Q
from django.db.models.lookups import In

_PLAIN = re.compile(r"[A-Za-z0-9_]+")


class LiteralIn(In):
    """`field IN ('a', 'b')` (one value: `field = 'a'`) with the values written into the SQL
    instead of bound.

    For a state list fixed in the code (a workflow's states), so that SQLite can use a
    partial index declared with the same list (`condition=Q(status__in=[...])`): SQLite
    proves a partial index's condition from literals only, and with `IN (?, ?)` it sorted
    every suggestion of a city for the office's 待分拣 list (175 ms; 1.5 ms from the index).
    PostgreSQL plans both forms alike. Only plain codes ([A-Za-z0-9_]) are written in; any
    other value is bound as usual.
    """

    def as_sql(self, compiler, connection):
        # Choices members are str subclasses whose repr is not their value: write the value.
        values = [str.__str__(getattr(v, "value", v)) if isinstance(v, str) else v for v in self.rhs]
        if not values:
            raise EmptyResultSet
        if not all(isinstance(v, str) and _PLAIN.fullmatch(v) for v in values):
            return super().as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        if len(values) == 1:  # as Django writes Q(field=value) in an index's condition
            return f"{lhs} = '{values[0]}'", params
        written = ", ".join("'" + v + "'" for v in values)
        return f"{lhs} IN ({written})", params


def in_literal(field: str, values) -> Q:
    """Q(`field` IN values) written as `LiteralIn` (values in the given order)."""
    return Q(LiteralIn(F(field), list(values)))

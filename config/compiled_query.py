"""An ORM queryset compiled to SQL once, then run again with new parameter values.

Building and compiling a queryset (filter() → add_q(), then as_sql()) costs a few
tenths of a millisecond of Python per query, more than SQLite or PostgreSQL need to
answer a primary-key lookup. On the API's hot read paths (the key check, a session by
id, the project list) that was most of a request. `CompiledQuery` builds the queryset
once per shape with stand-in values, keeps the SQL Django wrote and Django's own result
converters, and on each call swaps the stand-ins for the real values: the database sees
the ORM's SQL and the caller gets the ORM's Python values (aware datetimes, decoded
JSON, UUIDs). On PostgreSQL the server binds the values, so each statement is also
prepared once per connection (config/bound_cursor.py).

Only values Django sends as they are can be swapped (e.g. `=` and `IN` comparisons): a
value it rewrites on the way in (`startswith` adds '%') is refused when compiling.
"""

import secrets
import threading
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import QuerySet

from config.bound_cursor import bound_fetchall

# How a parameter value becomes a database value: the conversion Django applies to a
# field of that type, so the swapped values equal what the ORM would send.
_FIELDS: dict[type, models.Field] = {
    str: models.CharField(),
    int: models.BigIntegerField(),
    uuid.UUID: models.UUIDField(),
}


def _stand_in(kind: type, name: str):
    if kind is str:
        return f"\x1fcompiled-query:{name}:{secrets.token_hex(8)}\x1f"
    if kind is int:
        # Inside the 32-bit range: Django 5 turns an out-of-range value compared with an
        # IntegerField into "matches nothing", which would drop the parameter.
        return 1_000_000_000 + secrets.randbelow(1_000_000_000)
    if kind is uuid.UUID:
        return uuid.uuid4()
    raise TypeError(f"Parameter {name!r}: unsupported type {kind!r} (str, int or UUID).")


class _Statement:
    """One compiled shape on one connection: SQL, where each parameter goes, converters.

    The queryset is built and compiled twice, with two sets of stand-ins. The SQL text
    must be the same and the parameters may differ only where a stand-in sits, as it
    was given: so a value that Django rewrites (a LIKE pattern, a year turned into a
    date range) or writes into the SQL is refused instead of being frozen in.
    """

    def __init__(self, build: Callable[..., QuerySet], params: dict[str, type], alias):
        first = {name: _stand_in(kind, name) for name, kind in params.items()}
        second = {name: _stand_in(kind, name) for name, kind in params.items()}
        while any(first[name] == second[name] for name in params):  # ints may collide
            second = {name: _stand_in(kind, name) for name, kind in params.items()}
        queryset = build(first)
        self.alias = alias = alias or queryset.db
        self.connection = connection = connections[alias]
        self.sliced = queryset.query.is_sliced
        compiler = queryset.query.get_compiler(using=alias)
        try:
            self.sql, first_params = compiler.as_sql()
        except EmptyResultSet:
            self.sql = None  # e.g. a scope that lets the caller see nothing
            return
        second_sql, second_params = build(second).query.get_compiler(using=alias).as_sql()

        def names_by_db_value(stand_ins):
            # As database values: on SQLite a UUID is sent as hex text.
            return {
                _FIELDS[params[name]].get_db_prep_value(value, connection): name
                for name, value in stand_ins.items()
            }

        first_names, second_names = names_by_db_value(first), names_by_db_value(second)
        self.slots = []  # (parameter name or None, the constant)
        unchanged = second_sql == self.sql and len(first_params) == len(second_params)
        for one, other in zip(first_params, second_params, strict=False):
            if one == other:
                self.slots.append((None, one))
            elif (name := first_names.get(one)) is not None and second_names.get(other) == name:
                self.slots.append((name, None))
            else:
                unchanged = False
        if not unchanged:
            raise ValueError(
                "A parameter did not reach the SQL unchanged; only values Django passes "
                f"through as they are can be swapped ({sorted(params)})."
            )
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = [
            (position, tuple(converters), expression)
            for position, (converters, expression) in compiler.get_converters(fields).items()
        ]

    def params(self, values: dict[str, Any]) -> list:
        return [constant if name is None else values[name] for name, constant in self.slots]

    def run(self, sql: str, params: list) -> list[tuple]:
        rows = bound_fetchall(sql, params, connection=self.connection)
        if not self.converters:
            return rows
        # Django's converters, as SQLCompiler.apply_converters calls them.
        connection, converters = self.connection, self.converters
        converted = []
        for row in rows:
            row = list(row)
            for position, functions, expression in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


class CompiledQuery:
    """A queryset builder whose SQL is compiled once per shape, database and thread.

        by_prefix = CompiledQuery(
            lambda *, prefix: ApiKey.objects.filter(prefix=prefix).values_list("id")[:1],
            params={"prefix": str},
        )
        by_prefix.rows(prefix="shk_abc")

    `build` is called with stand-in values for the names in `params` (str, int or UUID)
    and with the call's other keyword arguments as they are: those choose the shape of
    the query (e.g. staff or not) and must be hashable; every distinct combination is
    compiled once. Rows come back as tuples in the queryset's column order (use
    values_list to name them), converted by Django as the ORM would.

    Statements are kept per thread, so each is used only with the connection it was
    compiled on (Django's connections are per thread).
    """

    def __init__(self, build: Callable[..., QuerySet], *, params: dict[str, type]):
        for name, kind in params.items():
            _stand_in(kind, name)  # refuse an unsupported type at import time
        self._build = build
        self._params = params
        self._local = threading.local()

    def _split(self, arguments: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        values, shape = {}, []
        for name, value in arguments.items():
            if name in self._params:
                values[name] = value
            else:
                shape.append((name, value))
        if missing := set(self._params) - set(values):
            raise TypeError(f"Missing parameters: {sorted(missing)}")
        return tuple(sorted(shape)), values

    def _statement(self, shape: tuple, using: str | None, *, counting: bool) -> _Statement:
        statements = getattr(self._local, "statements", None)
        if statements is None:
            statements = self._local.statements = {}
        key = (shape, using, counting)
        statement = statements.get(key)
        if statement is None:

            def build(stand_ins: dict[str, Any]) -> QuerySet:
                queryset = self._build(**dict(shape), **stand_ins)
                if counting:
                    if queryset.query.is_sliced:
                        raise ValueError("Count an unsliced queryset.")
                    # Only the key, unordered: both databases then flatten the subquery.
                    queryset = queryset.order_by().values_list("pk")
                return queryset

            statement = statements[key] = _Statement(build, self._params, using)
        return statement

    def _params_for(self, statement: _Statement, values: dict[str, Any]) -> list:
        connection = statement.connection
        return statement.params(
            {
                name: _FIELDS[self._params[name]].get_db_prep_value(value, connection)
                for name, value in values.items()
            }
        )

    def rows(
        self,
        *,
        using: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        **arguments: Hashable,
    ) -> list[tuple]:
        """The rows for these values; `limit`/`offset` page an unsliced queryset.

        Paging is appended as `LIMIT %s OFFSET %s`, which SQLite and PostgreSQL (the
        project's databases) both read, so one statement serves every page.
        """
        shape, values = self._split(arguments)
        statement = self._statement(shape, using, counting=False)
        if statement.sql is None:
            return []
        params = self._params_for(statement, values)
        sql = statement.sql
        if limit is not None or offset:
            if statement.sliced:
                raise ValueError("The queryset is sliced already; page it in one place.")
            if limit is None:
                raise ValueError("An offset needs a limit.")
            sql = f"{sql} LIMIT %s OFFSET %s"
            params += [int(limit), int(offset)]
        return statement.run(sql, params)

    def count(self, *, using: str | None = None, **arguments: Hashable) -> int:
        """How many rows the (unsliced) queryset has: COUNT(*) over its keys."""
        shape, values = self._split(arguments)
        statement = self._statement(shape, using, counting=True)
        if statement.sql is None:
            return 0
        params = self._params_for(statement, values)
        sql = f"SELECT COUNT(*) FROM ({statement.sql}) counted"
        return bound_fetchall(sql, params, connection=statement.connection)[0][0]


class CompiledRows:
    """The rows of one CompiledQuery call as dicts, read a page at a time.

    It answers what the API's limit/offset paginator asks of a queryset (a slice, and
    `.all().count()`), so a list endpoint returns it where it returned a queryset; the
    dicts carry the values the ORM would give for these fields.
    """

    def __init__(self, query: CompiledQuery | None, names: tuple[str, ...], **arguments):
        self._query = query
        self._names = names
        self._arguments = arguments

    @classmethod
    def empty(cls) -> "CompiledRows":
        return cls(None, ())

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        if not isinstance(page, slice) or page.step is not None:
            raise TypeError("CompiledRows reads pages: rows[offset:stop].")
        offset = page.start or 0
        if self._query is None or (page.stop is not None and page.stop <= offset):
            return []
        limit = None if page.stop is None else page.stop - offset
        if limit is None and offset:
            raise ValueError("An offset needs a stop.")
        rows = self._query.rows(limit=limit, offset=offset, **self._arguments)
        names = self._names
        return [dict(zip(names, row, strict=True)) for row in rows]

    def __iter__(self):
        return iter(self[:])

    def all(self) -> "CompiledRows":
        return self

    def count(self) -> int:
        return 0 if self._query is None else self._query.count(**self._arguments)

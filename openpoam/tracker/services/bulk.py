"""Fast inserts and reads for imports: values prepared or converted once per column.

Django's bulk_create prepares every value through each field's full pipeline;
for the ~100,000 asset rows of a monthly scan that costs more than reading the
file. Here only dates and datetimes need the backend's adaptation. Reading the
system's rows back (``read_rows``) converts each distinct date and time once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from itertools import chain

from django.db import connection
from django.db.models.query import ValuesListIterable
from django.db.models.sql.constants import MULTI

from openpoam.tracker.textguard import check_rows


GROUP_ROWS = 200  # rows per INSERT on SQLite (within its 999 parameters)


def insert_rows(model, columns: list[str], rows: list[tuple], *, batch: int = 5000) -> None:
    """Insert plain tuples into ``model``'s table. Columns are db column names; a column
    left out that has a plain default gets it, so adding such a field to a model does not
    break the bulk paths that predate it."""
    if not rows:
        return
    defaults = [(f.column, f.get_default()) for f in model._meta.concrete_fields
                if f.column not in columns and not f.primary_key and not f.generated
                and plain_default(f)]
    if defaults:
        columns = [*columns, *(name for name, _ in defaults)]
        tail = tuple(value for _, value in defaults)
        rows = [(*row, *tail) for row in rows]
    ops = connection.ops
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    adapt = _row_adapter(model, columns)
    check_rows(columns, rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            adapted = [adapt(row) for row in rows[start:start + batch]]
            if connection.vendor == "sqlite":
                _insert_grouped(cursor, sql, marks, adapted)
            elif connection.vendor == "postgresql":
                _insert_copied(cursor, table, names, adapted)
            else:
                cursor.executemany(sql, adapted)


def _insert_copied(cursor, table: str, names: str, rows: list[tuple]) -> None:
    """PostgreSQL: COPY, each value written by psycopg's own (C) dumpers. executemany
    binds on the client here (Django's psycopg cursor), formatting every value of every
    row as SQL text in Python: 285,000 asset rows took 2.5 s of the import's CPU so."""
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_grouped(cursor, sql: str, marks: str, rows: list[tuple]) -> None:
    """SQLite: many rows per INSERT. A table with triggers (the search index's) gives every
    statement inside a transaction a statement journal, which SQLite spills to a temporary
    file: one row per statement wrote each page it touched there again and again (285,000
    asset rows of a 700,000-finding scan: most of the import's system time)."""
    per = max(1, min(GROUP_ROWS, connection.features.max_query_params // len(rows[0])))
    whole = len(rows) - len(rows) % per
    if whole:
        grouped = sql + f", ({marks})" * (per - 1)
        cursor.executemany(grouped, [tuple(chain.from_iterable(rows[start:start + per]))
                                     for start in range(0, whole, per)])
    if whole < len(rows):
        rest = rows[whole:]
        cursor.execute(sql + f", ({marks})" * (len(rest) - 1), tuple(chain.from_iterable(rest)))


def plain_default(field) -> bool:
    """A default that is the same for every row: a constant, or the empty string Django
    itself stores for a text field left out."""
    if field.has_default():
        return not callable(field.default)
    return field.empty_strings_allowed and not field.null


def _row_adapter(model, columns: list[str]):
    """One function per table that turns a row into what the driver takes; only the
    columns whose type needs it (dates, UUIDs on SQLite, JSON) are touched."""
    by_column = {f.column: f for f in model._meta.concrete_fields}
    converters = [(index, _converter(by_column[name])) for index, name in enumerate(columns)
                  if name in by_column]
    converters = [(index, convert) for index, convert in converters if convert is not None]
    if not converters:
        return tuple

    if len(converters) == 2:  # the asset rows' first and last seen: the most rows by far
        (first, convert_first), (second, convert_second) = converters

        def adapt_two(row: tuple) -> tuple:
            out = list(row)
            if out[first] is not None:
                out[first] = convert_first(out[first])
            if out[second] is not None:
                out[second] = convert_second(out[second])
            return tuple(out)

        return adapt_two

    def adapt(row: tuple) -> tuple:
        out = list(row)
        for index, convert in converters:
            if out[index] is not None:
                out[index] = convert(out[index])
        return tuple(out)

    return adapt


def _converter(field):
    ops, kind = connection.ops, field.get_internal_type()
    if kind == "DateTimeField":
        return _remembered(ops.adapt_datetimefield_value)
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "UUIDField" and not connection.features.has_native_uuid_field:
        return lambda value: value.hex
    if kind == "JSONField":
        return json.dumps  # text on SQLite, cast to jsonb by PostgreSQL
    return None


def _adapt(ops, value, datetimes):
    if isinstance(value, datetime):
        return datetimes(value)
    if isinstance(value, date):
        return ops.adapt_datefield_value(value)
    return value


def insert_objects(model, objects: list) -> None:
    """Insert unsaved model instances (already validated) with ``insert_rows``: their
    concrete fields as stored, ``auto_now_add`` applied, without Django's per-value
    statement building. Keys are not set on the instances: read them back by a unique
    column when needed."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    rows = [tuple(f.pre_save(obj, add=True) for f in fields) for obj in objects]
    insert_rows(model, [f.column for f in fields], rows)


def set_by_ids(model, column: str, groups: dict[object, list[int]]) -> None:
    """``UPDATE ... SET column = value WHERE id IN ids`` for each value and its ids, in one
    executemany: the ids go as one parameter (a JSON array on SQLite, an array on
    PostgreSQL), whatever their number. For many rows sharing few values (the scan times
    of the assets a scan saw again): no temporary table of one row per id."""
    if not groups:
        return
    ops = connection.ops
    table, name = ops.quote_name(model._meta.db_table), ops.quote_name(column)
    check_rows([column], [(value,) for value in groups])
    if connection.vendor == "postgresql":
        sql, ids_of = f"UPDATE {table} SET {name} = %s WHERE id = ANY(%s)", list
    else:
        sql = f"UPDATE {table} SET {name} = %s WHERE id IN (SELECT value FROM json_each(%s))"
        ids_of = json.dumps
    datetimes = _remembered(ops.adapt_datetimefield_value)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(_adapt(ops, value, datetimes), ids_of(ids))
                                 for value, ids in groups.items()])


def read_rows(queryset, *, chunk: int = 5000) -> Iterator[tuple]:
    """The rows ``queryset.iterator(chunk)`` gives for a plain ``values_list`` (tuples), with
    date and datetime columns converted once per distinct stored value: on SQLite each
    is text parsed by Django's converter, and the asset rows of a scan share a few
    thousand scan times (285,000 rows: most of reading them back)."""
    query = queryset.query
    if (queryset._iterable_class is not ValuesListIterable or query.extra_select
            or query.annotation_select):
        yield from queryset.iterator(chunk)
        return
    compiler = query.get_compiler(using=queryset.db)
    results = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=chunk)
    columns = [selected[0] for selected in compiler.select[:compiler.col_count]]
    converters = [(position, _converting(functions, expression))
                  for position, (functions, expression)
                  in compiler.get_converters(columns).items()]
    rows = chain.from_iterable(results)
    if not converters:
        yield from map(tuple, rows)
        return
    for row in rows:
        row = list(row)
        for position, convert in converters:
            row[position] = convert(row[position])
        yield tuple(row)


def _converting(functions: list, expression):
    """One column's converters as one function; remembered for dates and datetimes, whose
    results are immutable and repeat (a JSON value, say, is converted every time)."""
    def convert(value):
        for function in functions:
            value = function(value, expression, connection)
        return value

    kind = getattr(expression, "output_field", None)
    kind = kind.get_internal_type() if kind is not None else ""
    if kind not in ("DateTimeField", "DateField"):
        return convert
    known: dict = {}

    def remembered(value):
        found = known.get(value, convert)
        if found is convert:  # the function itself marks a miss: None is a result
            if len(known) >= 10_000:
                known.clear()
            found = known[value] = convert(value)
        return found

    return remembered


def _remembered(convert, limit: int = 10_000):
    """``convert`` worked out once per distinct value: a scan's ~100,000 asset rows share
    a few thousand scan times. Keyed by the zone and fold too: datetimes that compare
    equal may still be written differently."""
    known: dict = {}
    # The same datetime object comes again and again (the digest shares equal ones): found
    # by identity first, without building the key. The object is held, so its id is not reused.
    same: dict[int, tuple] = {}

    def remembered(value):
        hit = same.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        key = (value, value.tzinfo, value.fold)
        found = known.get(key)
        if found is None:
            if len(known) >= limit:
                known.clear()
                same.clear()
            found = known[key] = convert(value)
        if len(same) >= limit:
            same.clear()
        same[id(value)] = (value, found)
        return found

    return remembered

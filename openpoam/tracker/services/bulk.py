"""Fast inserts for imports: one executemany with values prepared once per column.

Django's bulk_create prepares every value through each field's full pipeline;
for the ~100,000 asset rows of a monthly scan that costs more than reading the
file. Here only dates and datetimes need the backend's adaptation.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection


def insert_rows(model, columns: list[str], rows: list[tuple], *, batch: int = 5000) -> None:
    """Insert plain tuples into ``model``'s table. Columns are db column names."""
    if not rows:
        return
    ops = connection.ops
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [tuple(_adapt(ops, v) for v in row)
                                     for row in rows[start:start + batch]])


def _adapt(ops, value):
    if isinstance(value, datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return ops.adapt_datefield_value(value)
    return value


def update_from_rows(model, key: str, columns: list[str], rows: list[tuple]) -> None:
    """Set ``columns`` of many rows at once: load (key, values...) into a temporary
    table, then one UPDATE ... FROM join (PostgreSQL, SQLite >= 3.33)."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    temp = ops.quote_name(f"tmp_{model._meta.db_table}_update")
    names = [key, *columns]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ("
                       + ", ".join(f"{ops.quote_name(n)} {_temp_type(model, n)}" for n in names)
                       + ")")
        marks = ", ".join(["%s"] * len(names))
        for start in range(0, len(rows), 5000):
            cursor.executemany(f"INSERT INTO {temp} VALUES ({marks})",
                               [tuple(_adapt(ops, v) for v in row)
                                for row in rows[start:start + 5000]])
        assignments = ", ".join(f"{ops.quote_name(c)} = {temp}.{ops.quote_name(c)}"
                                for c in columns)
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {temp} "
                       f"WHERE {table}.{ops.quote_name(key)} = {temp}.{ops.quote_name(key)}")
        cursor.execute(f"DROP TABLE {temp}")


def _temp_type(model, column: str) -> str:
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    return field.db_type(connection)

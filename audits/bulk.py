"""Insert plain rows fast: COPY on PostgreSQL, one executemany elsewhere; set one column by id.

Used for the tables that dominate load-test sizes (answers: ~35 rows per audit, and scores
with their item-by-item JSON), and for a submission's answers on every first send. For them
`bulk_create` spends most of its time building model instances and adapting every value in
Python (and, on PostgreSQL, quoting UNNEST arrays client-side), which turns 250k audits from
minutes into most of an hour, and was a sixth of a submission request. Rows here are tuples
of Python values; each column is adapted once per value the way its field would (JSON as JSON
text, date-times and decimals through the field), so what is stored is what the ORM would
have stored. Tables that need their new ids back still use `bulk_create`, and `set_column`
then writes what `bulk_create` cannot keep: the historical times of `auto_now_add` fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models


def _adapter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value: Any) -> Any:
            return None if value is None else json.dumps(value, cls=encoder)

        return to_json
    if isinstance(field, models.DateTimeField | models.DecimalField | models.UUIDField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None  # ints, text and booleans go in as they are


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    using: str = "default",
    batch_size: int = 5000,
) -> int:
    """Insert `rows` (values in the order of `columns`, field names or attnames) into `model`.

    Returns the number of rows written. Runs in the caller's transaction.
    """
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in columns]
    adapters = [_adapter(field, connection) for field in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)

    to_adapt = [(index, adapt) for index, adapt in enumerate(adapters) if adapt is not None]

    def adapted() -> Iterable[Sequence[Any]]:
        for row in rows:
            if len(row) != len(fields):
                raise ValueError(f"expected {len(fields)} values, got {len(row)}: {row!r}")
            if to_adapt:
                row = list(row)
                for index, adapt in to_adapt:
                    row[index] = adapt(row[index])
            yield row

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in adapted():
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
        return _executemany(cursor, sql, adapted(), batch_size)


def set_column(
    model: type[models.Model],
    column: str,
    values: Iterable[tuple[Any, Any]],
    *,
    using: str = "default",
    batch_size: int = 5000,
) -> int:
    """Set `column` of rows already stored, from (primary key, value) pairs; returns the count.

    For the historical times of rows written with `bulk_create`: an `auto_now_add` field is
    stamped "now" on every insert whatever the instance holds, so a history months long writes
    its created/received/uploaded times afterwards, in plain UPDATEs by primary key (one
    executemany a batch), each value adapted as its field would. Runs in the caller's
    transaction.
    """
    connection = connections[using]
    field = model._meta.get_field(column)
    pk = model._meta.pk
    adapt = _adapter(field, connection) or (lambda value: value)
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s "
        f"WHERE {quote(pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        return _executemany(cursor, sql, ((adapt(value), key) for key, value in values), batch_size)


def _executemany(cursor, sql: str, rows: Iterable[Sequence[Any]], batch_size: int) -> int:
    """Run `sql` for every row, `batch_size` rows an executemany; returns the number of rows."""
    count = 0
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    return count


def analyze(models_: Iterable[type[models.Model]], *, using: str = "default") -> None:
    """Refresh the planner's statistics of these tables after a bulk load (PostgreSQL).

    Without it the planner guesses from the empty tables it last saw: a machine without
    autovacuum (this one) served a head-office page of 9,719 audits in 2 s, 0.45 s after
    ANALYZE. Elsewhere (SQLite) nothing is done.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

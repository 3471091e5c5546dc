"""Writing a day's rollup rows fast (#18): one statement stream of plain tuples, not model instances.

At 1,000,000 tickets a year the busiest day has ~66,000 wide rollup rows; `bulk_create` spent about
5 s of the 16.5 s nightly rollup preparing them field by field (model instances, per-value
`get_db_prep_save`, one huge array parameter). The rollup's values are already plain ints, strings,
a date and a list (the histogram), so they go to PostgreSQL through COPY (as bench/generator.py
loads the data set) and to SQLite through executemany — the statement bulk_create would issue.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

from herdesk.common.rowsql import column, table


def replace_day(
    model: type[models.Model], day: dt.date, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Delete `model`'s rows of `day` and insert `rows` (values in the order of `columns`, the model's
    field names; JSON fields as Python values). Returns the number of rows inserted. Runs in the
    caller's transaction."""
    fields: list[Any] = [model._meta.get_field(c) for c in ("day", *columns)]
    as_json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    day_value = connection.ops.adapt_datefield_value(day)

    def values(row: Sequence[Any]) -> list[Any]:
        out = [day_value, *row]
        for i in as_json:
            out[i] = json.dumps(out[i])
        return out

    # Names through the model (common.rowsql), like every hand-written statement of the project.
    into = table(model)
    names = ", ".join(column(model, f.name) for f in fields)
    n = 0
    with connection.cursor() as cur:
        # One DELETE statement: QuerySet.delete() fetches the rows first (in chunks) whenever any
        # delete signal receiver is connected, which at 60,000 rows a day cost seconds.
        cur.execute(f"DELETE FROM {into} WHERE {column(model, 'day')} = %s", [day_value])
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {into} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
                    n += 1
        else:
            data = [values(row) for row in rows]
            if data:
                marks = ", ".join(["%s"] * len(fields))
                cur.executemany(f"INSERT INTO {into} ({names}) VALUES ({marks})", data)
            n = len(data)
    return n

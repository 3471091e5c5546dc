"""Model rows written and read in plain SQL, their statement text built once per model.

Why: the ORM builds the text of the same INSERT or SELECT again for every row; on the inbound path
(an email: a ticket, two timeline entries, two email rows, clocks, a customer) that compilation
was most of the processing time (≈ 150–500 µs a statement against ≈ 20–40 µs to run it). These
helpers build the SQL text once per model and keep the ORM's own field handling (defaults,
auto_now, encryption of personal data, JSON, time zones, the backend's converters).

Used by the services of tickets, clocks, customers and the inbound channels (common: every app may
import it). Each helper falls back to the ORM for any case it does not plainly cover.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.transaction import TransactionManagementError

# Field classes whose get_db_prep_save returns None and values of exactly these types unchanged
# (checked per value, so anything else — lazy text, a subclass with its own preparation such as
# the encrypted fields — takes the ORM's way). Text fields pass any str (choices members too).
_UNCHANGED: dict[type, tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
}
_Prep = Callable[[Any, Any], Any]
# (field, attname, whether pre_save is the plain attribute read, its get_db_prep_save)
_Column = tuple[Any, str, bool, _Prep]
_INSERT_SQL: dict[tuple[str, type, int, bool], tuple[str, list[_Column]] | None] = {}


def _db() -> Any:
    """The default connection itself (not the thread-local proxy `connection`, which costs a
    look-up for every attribute: once per call instead of once per value)."""
    return connections[DEFAULT_DB_ALIAS]


def _prep(field: Any) -> _Prep:
    """`field.get_db_prep_save(value, conn)` as prep(value, conn), with its usual cases done directly."""

    def orm(value: Any, conn: Any) -> Any:
        return field.get_db_prep_save(value, conn)

    if type(field) is models.DateTimeField:
        # An aware datetime (USE_TZ): get_prep_value returns it as is; then the backend adapts it.
        def prep_datetime(value: Any, conn: Any) -> Any:
            if value is None:
                return None
            if type(value) is datetime and settings.USE_TZ and value.utcoffset() is not None:
                return conn.ops.adapt_datetimefield_value(value)
            return orm(value, conn)

        return prep_datetime
    types = _UNCHANGED.get(type(field), ())
    if type(field) is models.ForeignKey and field.target_field.get_internal_type() in (
        "AutoField",
        "BigAutoField",
    ):
        types = (int,)
    if not types:
        return orm
    text = types[0] is str

    def prep_plain(value: Any, conn: Any) -> Any:
        if value is None or type(value) in types or (text and isinstance(value, str)):
            return value
        return orm(value, conn)

    return prep_plain


def _special_placeholder(field: Any, conn: Any) -> bool:
    """Whether the field's value needs another placeholder than %s in the SQL text."""
    if not hasattr(field, "get_placeholder"):
        return False
    # BinaryField's is %s except on MySQL/Oracle (binary_placeholder_sql).
    return not (isinstance(field, models.BinaryField) and conn.vendor in ("sqlite", "postgresql"))


def _insert_plan(
    model: type, rows: int, conn: Any, explicit_pk: bool = False
) -> tuple[str, list[_Column]] | None:
    """(INSERT … RETURNING pk for `rows` rows, columns) or None where the ORM must do it.
    `explicit_pk`: the rows carry their primary key (e.g. the audit chain's sequence number)."""
    key = (conn.vendor, model, rows, explicit_pk)
    if key in _INSERT_SQL:
        return _INSERT_SQL[key]
    meta = model._meta  # type: ignore[attr-defined]
    plan: tuple[str, list[_Column]] | None = None
    simple = (
        conn.features.can_return_rows_from_bulk_insert
        and not meta.parents
        and (explicit_pk or meta.pk.get_internal_type() in ("AutoField", "BigAutoField"))
        and not any(
            f.generated or _special_placeholder(f, conn) or (f.db_returning and not f.primary_key)
            for f in meta.local_concrete_fields
        )
    )
    if simple:
        qn = conn.ops.quote_name
        fields = [f for f in meta.local_concrete_fields if explicit_pk or not f.primary_key]
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES {', '.join([one] * rows)} RETURNING {qn(meta.pk.column)}"
        )
        columns = [(f, f.attname, type(f).pre_save is models.Field.pre_save, _prep(f)) for f in fields]
        plan = (sql, columns)
    _INSERT_SQL[key] = plan
    return plan


def rows_insert(objs: list[Any]) -> list[Any]:
    """INSERT new, unsaved instances of one model in one statement and set their primary keys:
    what `Model.objects.bulk_create(objs)` does (the same field preparation — pre_save for
    auto_now(_add), get_db_prep_save for encryption, JSON and dates — and the same errors, e.g.
    IntegrityError), without compiling the statement each time. Sends no model signals, like
    bulk_create. Runs in the caller's transaction (default database). Returns `objs`."""
    if not objs:
        return objs
    conn = _db()
    model = type(objs[0])
    explicit_pk = objs[0].pk is not None
    plan = _insert_plan(model, len(objs), conn, explicit_pk)
    params: list[Any] = []
    if plan is not None:
        columns = plan[1]
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            if (obj.pk is not None) != explicit_pk:
                plan = None  # some with a primary key, some without: leave it to the ORM
                break
            for f, attname, plain, prep in columns:
                value = getattr(obj, attname) if plain else f.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):  # e.g. a database default
                    plan = None
                    break
                params.append(prep(value, conn))
            if plan is None:
                break
    if plan is None:
        return model._default_manager.bulk_create(objs)  # type: ignore[no-any-return]
    with conn.cursor() as cur:
        cur.execute(plan[0], params)
        ids = cur.fetchall()
    pk = model._meta.pk.attname
    for obj, (value,) in zip(objs, ids, strict=True):
        setattr(obj, pk, value)
        obj._state.adding = False
        obj._state.db = conn.alias
    return objs


_UPDATE_SQL: dict[tuple[str, type, tuple[str, ...]], tuple[str, list[_Column]]] = {}


def row_update(obj: Any, fields: list[str]) -> None:
    """`obj.save(update_fields=fields)` for a row that exists (same field preparation; raises
    DatabaseError if no row was updated, as save does), its SQL text built once per field list."""
    conn = _db()
    model = type(obj)
    key = (conn.vendor, model, tuple(fields))
    plan = _UPDATE_SQL.get(key)
    if plan is None:
        meta = model._meta
        qn = conn.ops.quote_name
        chosen = [meta.get_field(name) for name in fields]
        sql = (
            f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in chosen)} "
            f"WHERE {qn(meta.pk.column)} = %s"
        )
        plan = _UPDATE_SQL[key] = (
            sql,
            [(f, f.attname, type(f).pre_save is models.Field.pre_save, _prep(f)) for f in chosen],
        )
    values = [getattr(obj, attname) if plain else f.pre_save(obj, False) for f, attname, plain, _p in plan[1]]
    if any(hasattr(value, "resolve_expression") for value in values):  # e.g. F("attempts") + 1
        obj.save(update_fields=fields)
        return
    params = [prep(value, conn) for value, (_f, _a, _plain, prep) in zip(values, plan[1], strict=True)]
    params.append(model._meta.pk.get_db_prep_save(obj.pk, conn))
    with conn.cursor() as cur:
        cur.execute(plan[0], params)
        if cur.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


_LOADERS: dict[tuple[str, type], tuple[list[str], list[tuple[int, Any, list[Any]]]]] = {}


def _loader(model: type, conn: Any) -> tuple[list[str], list[tuple[int, Any, list[Any]]]]:
    key = (conn.vendor, model)
    found = _LOADERS.get(key)
    if found is None:
        meta = model._meta  # type: ignore[attr-defined]
        names, converters = [], []
        for i, f in enumerate(meta.concrete_fields):
            names.append(f.attname)
            col = f.get_col(meta.db_table)
            conv = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
            if conv:
                converters.append((i, col, conv))
        found = _LOADERS[key] = (names, converters)
    return found


def column(model: type, name: str) -> str:
    """The quoted column of field `name` of `model` ("pk" for the primary key). SQL written by hand
    names its columns through this, so a renamed field changes the SQL with it (or fails loudly)."""
    meta = model._meta  # type: ignore[attr-defined]
    field = meta.pk if name == "pk" else meta.get_field(name)
    return str(_db().ops.quote_name(field.column))


def table(model: type) -> str:
    """The quoted table of `model`."""
    return str(_db().ops.quote_name(model._meta.db_table))  # type: ignore[attr-defined]


def row_columns(model: type, alias: str) -> str:
    """The SELECT list of every concrete column of `model` (table alias `alias`), in the order
    `row_instance` reads them."""
    qn = _db().ops.quote_name
    return ", ".join(f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields)  # type: ignore[attr-defined]


def row_instance(model: type, row: Any, offset: int = 0) -> Any:
    """The model instance of the columns of `row_columns(model, …)` starting at `offset` of a row
    read from the default database, with the backend's and the fields' converters applied as the
    ORM applies them (decryption included)."""
    conn = _db()
    names, converters = _loader(model, conn)
    values = list(row[offset : offset + len(names)])
    for i, col, conv in converters:
        value = values[i]
        for c in conv:
            value = c(value, col, conn)
        values[i] = value
    return model.from_db(conn.alias, names, values)  # type: ignore[attr-defined]


_GET_SQL: dict[tuple[str, type, str, tuple[str, ...], bool], str] = {}


def row_get(
    model: type, field: str, value: Any, related: tuple[str, ...] = (), for_update: bool = False
) -> Any:
    """`model.objects.select_related(*related).filter(**{field: value}).first()` for a unique
    `field` ("pk" for the primary key), its statement built once: the instance, or None. Each name
    in `related` is a nullable or not foreign key of `model`, joined (LEFT) and set on the
    instance as the ORM's select_related sets it. Why: the API's ticket creation reads its
    customer, product and category this way on every request (issue #20), and building the
    ORM's statement cost several times running it. `for_update`: `select_for_update()` (the row is
    locked until the transaction ends on PostgreSQL; SQLite's IMMEDIATE transaction already holds
    its only write lock)."""
    conn = _db()
    if for_update and conn.features.has_select_for_update and conn.get_autocommit():  # as the ORM
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    meta = model._meta  # type: ignore[attr-defined]
    key = (conn.vendor, model, field, related, for_update)
    sql = _GET_SQL.get(key)
    fks = [meta.get_field(name) for name in related]
    if sql is None:
        qn = conn.ops.quote_name
        selects = [row_columns(model, "m")]
        joins = []
        for i, fk in enumerate(fks):
            other = fk.related_model
            selects.append(row_columns(other, f"r{i}"))
            joins.append(
                f"LEFT OUTER JOIN {table(other)} r{i} ON r{i}.{column(other, 'pk')} = m.{qn(fk.column)}"
            )
        sql = (
            f"SELECT {', '.join(selects)} FROM {table(model)} m {' '.join(joins)} "
            f"WHERE m.{column(model, field)} = %s LIMIT 1"
        )
        if for_update and conn.features.has_select_for_update:
            # Lock the row asked for only (PostgreSQL refuses to lock the nullable side of a join).
            sql += " FOR UPDATE OF m" if related and conn.features.has_select_for_update_of else " FOR UPDATE"
        _GET_SQL[key] = sql
    target = meta.pk if field == "pk" else meta.get_field(field)
    with conn.cursor() as cur:
        try:
            cur.execute(sql, [target.get_db_prep_value(value, conn)])
        except OverflowError:  # SQLite: an integer beyond 64 bits matches no row (as in the ORM)
            return None
        row = cur.fetchone()
    if row is None:
        return None
    obj = row_instance(model, row)
    offset = len(meta.concrete_fields)
    for fk in fks:
        other = fk.related_model
        width = len(other._meta.concrete_fields)
        linked = getattr(obj, fk.attname) is not None
        setattr(obj, fk.name, row_instance(other, row, offset) if linked else None)
        offset += width
    return obj

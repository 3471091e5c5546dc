"""The hand-written SQL of the hot paths runs on both databases in the normal suite (the SQLite pass
and the PostgreSQL pass of `make test` each take their own branch), and every column it names must
exist on the models: a renamed or removed field fails here, not in production.

Covered: the plain-SQL row helpers (common/rowsql.py, via the inbound path), the ticket-number
counter (tickets.services._next_number), the inbound contact look-up (inbound.services._contact_by),
the outbox inserts (notifications.services: outbox_enqueue_many's two branches, outbox_insert_sql),
the clock sweep (clocks.services._sweep_sql), the mail threading queries (mail.ingest) and the
automatic-reply counter (mail.services.autoreply_allow).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db

# Pseudo-columns of table-valued functions (json_each, jsonb_array_elements_text … AS a(action)).
FUNCTION_COLUMNS = {"value", "key"}
_IDENT = r"[a-z_][a-z0-9_]*"


def _tables() -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        cols = {f.column for f in model._meta.concrete_fields if getattr(f, "column", None)}
        tables.setdefault(model._meta.db_table, set()).update(cols)
    return tables


def unknown_columns(sql: str, tables: dict[str, set[str]] | None = None) -> list[str]:
    """Columns `sql` names that no model of the tables it uses has: qualified references
    (alias.column), INSERT column lists and UPDATE … SET assignments."""
    tables = tables if tables is not None else _tables()
    text = re.sub(r"'(?:[^']|'')*'", "''", sql).replace('"', "").replace("`", "")
    named = {t for t in tables if re.search(rf"\b{re.escape(t)}\b", text)}
    known = set().union(*(tables[t] for t in named)) if named else set()
    defined = set(re.findall(rf"\bAS\s+({_IDENT})", text, flags=re.I))
    for cols in re.findall(rf"\bAS\s+{_IDENT}\s*\(([^)]*)\)", text, flags=re.I):
        defined |= {c.split()[0] for c in cols.split(",") if c.strip()}
    ok = known | defined | named | FUNCTION_COLUMNS
    problems = []
    for alias, col in re.findall(rf"\b({_IDENT})\.({_IDENT})\b", text):
        if col not in ok and alias not in ("excluded",):
            problems.append(f"{alias}.{col}")
    for table, cols in re.findall(rf"\bINSERT\s+INTO\s+({_IDENT})\s*\(([^)]*)\)", text, flags=re.I):
        for col in (c.strip() for c in cols.split(",")):
            if table in tables and col not in tables[table]:
                problems.append(f"{table}({col})")
    for table, assignments in re.findall(
        rf"\bUPDATE\s+({_IDENT})(?:\s+AS\s+{_IDENT})?\s+SET\s+(.*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|$)",
        text,
        flags=re.I | re.S,
    ):
        for col in re.findall(rf"(?:^|,)\s*({_IDENT})\s*=", assignments):
            if table in tables and col not in tables[table]:
                problems.append(f"{table} SET {col}")
    return problems


@pytest.fixture
def statements() -> Iterator[Callable[[Callable[[], Any]], list[str]]]:
    """Run a callable and return the SQL it executed."""

    def run(fn: Callable[[], Any]) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return [q["sql"] for q in ctx.captured_queries]

    yield run


def _assert_known(sqls: list[str], must_contain: str) -> None:
    assert any(must_contain in s for s in sqls), f"no statement with {must_contain!r} ran: {sqls[:5]}"
    tables = _tables()
    for sql in sqls:
        assert not unknown_columns(sql, tables), (unknown_columns(sql, tables), sql)


def test_the_checker_catches_a_column_the_models_do_not_have() -> None:
    assert unknown_columns('SELECT c."no_such_col" FROM "customers_contact" c') == ["c.no_such_col"]
    assert unknown_columns("INSERT INTO notifications_outboxmessage (dedupe_key, gone) VALUES (1, 2)") == [
        "notifications_outboxmessage(gone)"
    ]
    assert unknown_columns("UPDATE clocks_clock SET state = 'x', vanished = 1 WHERE id = 2") == [
        "clocks_clock SET vanished"
    ]
    assert unknown_columns('UPDATE "tickets_ticketcounter" SET "last" = "last" + 1 WHERE "day" = %s') == []


def _ticket(staff: dict[str, Any], customer: Any, minutes_ago: int = 0) -> Any:
    from herdesk.tickets.services import ticket_create

    now = timezone.now()
    return ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="technical_support",
        subject="挤奶机压力异常",
        received_at=now - timedelta(minutes=minutes_ago),
        now=now,
    )


def test_ticket_numbers(statements: Any, staff: Any, customer: Any) -> None:
    sqls = statements(lambda: [_ticket(staff, customer), _ticket(staff, customer)])
    _assert_known(sqls, "RETURNING")
    from herdesk.tickets.models import Ticket

    a, b = Ticket.objects.order_by("id")
    assert int(b.number[-4:]) == int(a.number[-4:]) + 1


def test_inbound_contact_look_up_and_row_helpers(statements: Any, customer: Any) -> None:
    from herdesk.inbound.services import sender_resolve

    found: list[Any] = []
    sqls = statements(lambda: found.append(sender_resolve(email="zhang@example.cn")))
    _assert_known(sqls, "ORDER BY")
    assert found[0].customer == customer


def test_outbox_inserts_and_the_clock_sweep(statements: Any, staff: Any, customer: Any) -> None:
    from herdesk.clocks.services import clock_sweep
    from herdesk.notifications.models import OutboxMessage
    from herdesk.notifications.services import outbox_enqueue_many

    ticket = _ticket(staff, customer, minutes_ago=14 * 24 * 60)  # due whatever the hour
    message = {"dedupe_key": "sql-test:1", "channel": "action", "template": "notify_assignee"}
    sqls = statements(lambda: outbox_enqueue_many([{**message, "ticket_id": ticket.pk}]))
    _assert_known(sqls, "ON CONFLICT")
    assert OutboxMessage.objects.filter(dedupe_key="sql-test:1").count() == 1
    swept: list[Any] = []
    sqls = statements(lambda: swept.append(clock_sweep()))
    _assert_known(sqls, "INSERT INTO")
    assert swept[0].breaches >= 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="clock:").exists()


def test_mail_threading_and_the_autoreply_counter(statements: Any, staff: Any, customer: Any) -> None:
    from herdesk.mail.ingest import _known_emails, _thread_candidates
    from herdesk.mail.services import autoreply_allow

    ticket = _ticket(staff, customer)
    parsed = SimpleNamespace(
        message_id="<new@farm.example.cn>",
        subject=f"Re: [{ticket.number}] 挤奶机压力异常",
        in_reply_to=["<old@herdesk.example.cn>"],
        references=[],
    )
    out: list[Any] = []
    sqls = statements(
        lambda: out.extend(
            [_known_emails(parsed, ["<old@herdesk.example.cn>"]), _thread_candidates(parsed, known=[])]
        )
    )
    _assert_known(sqls, "message_id")
    assert out[0] == [] and [t.pk for t in out[1]] == [ticket.pk]
    sqls = statements(lambda: out.append(autoreply_allow(key="bidx-1")))
    _assert_known(sqls, "ON CONFLICT")
    assert out[-1] is True

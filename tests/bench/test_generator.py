"""`herdesk bench generate`: deterministic, realistic, usable by the real services afterwards."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from bench.dataset import bench_dataset_generate
from herdesk.clocks.models import Clock, ClockIncident
from herdesk.customers.models import Contact, Customer
from herdesk.tickets.models import Interaction, Ticket

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _dump() -> list[Any]:
    """Everything generated, by natural keys (ids and ciphertexts aside)."""
    tickets = list(
        Ticket.objects.order_by("number").values_list(
            "number",
            "subject",
            "description",
            "status",
            "channel",
            "priority",
            "complexity",
            "received_at",
            "customer__name",
            "assignee__username",
            "team__code",
            "resolved_at",
            "closed_at",
        )
    )
    clocks = list(
        Clock.objects.order_by("ticket__number", "kind", "cycle").values_list(
            "ticket__number", "kind", "state", "due_at", "stopped_at", "breached_at", "paused_at"
        )
    )
    timeline = list(
        Interaction.objects.order_by("ticket__number", "occurred_at", "kind").values_list(
            "ticket__number", "kind", "direction", "body", "occurred_at"
        )
    )
    contacts = [
        (c.customer.name, c.phone, c.email, c.customer.address) for c in Contact.objects.order_by("id")
    ]
    return [tickets, clocks, timeline, contacts]


@pytest.mark.django_db(transaction=False)
def test_same_seed_and_anchor_give_the_same_data_set(reference: Any) -> None:
    sid = transaction.savepoint()
    first = bench_dataset_generate(tickets=400, seed=3, now=NOW)
    a = _dump()
    transaction.savepoint_rollback(sid)
    assert Ticket.objects.count() == 0
    second = bench_dataset_generate(tickets=400, seed=3, now=NOW)
    b = _dump()
    assert a == b
    assert first.stats.clock_states == second.stats.clock_states
    third_sid = transaction.savepoint()
    transaction.savepoint_rollback(third_sid)
    Ticket.objects.all().delete()
    bench_dataset_generate(tickets=400, seed=4, now=NOW)
    assert _dump()[0] != a[0]  # another seed, other tickets


@pytest.mark.django_db
def test_generated_data_is_realistic_and_the_services_keep_working(reference: Any) -> None:
    from herdesk.clocks.services import clock_sweep
    from herdesk.customers.selectors import customer_search
    from herdesk.staff.models import User
    from herdesk.tickets.services import ticket_create

    result = bench_dataset_generate(tickets=1500, seed=1, now=NOW)
    s = result.stats
    assert s.tickets == Ticket.objects.count() == 1500
    # Clocks in every state, and some due for the sweep to find (the data set's backlog).
    assert {"running", "paused", "met", "breached", "cancelled"} <= set(s.clock_states)
    assert {"closed", "resolved", "in_progress", "waiting_customer", "cancelled"} <= set(s.statuses)
    assert ClockIncident.objects.count() == Clock.objects.filter(breached_at__isnull=False).count()
    # Chinese text with the benchmark's search terms in it.
    assert Ticket.objects.filter(subject__contains="酸奶").exists()
    assert Ticket.objects.filter(subject__icontains="err-123").exists()
    # Timelines: the first entry of every ticket is the customer's message.
    assert Interaction.objects.count() >= 2 * s.tickets
    first = (
        Interaction.objects.filter(ticket=Ticket.objects.order_by("id").first())
        .order_by("occurred_at")
        .first()
    )
    assert first is not None and first.direction == "inbound"
    # Contacts are real ciphertext that decrypts, with a working blind index.
    with connection.cursor() as cur:
        cur.execute(f"SELECT phone FROM {Contact._meta.db_table} LIMIT 1")
        raw = cur.fetchone()[0]
    assert raw.startswith("v1:") and "+86" not in raw
    contact = Contact.objects.select_related("customer").first()
    assert contact is not None and contact.phone.startswith("+86")
    admin = User.objects.get(username="admin")
    assert contact.customer in customer_search(user=admin, phone=contact.phone)
    assert Customer.objects.count() == s.customers
    # The next ticket of the day gets a fresh number (the day counters were moved on).
    created = ticket_create(
        actor=User.objects.get(username="agent1"),
        customer=contact.customer,
        channel="phone",
        problem_type="product_inquiry",
        subject="酸奶保质期",
        received_at=NOW,
        now=NOW,
    )
    assert Ticket.objects.filter(number=created.number).count() == 1
    # The sweep works on the generated clocks.
    swept = clock_sweep(now=NOW)
    assert swept.breaches >= 0
    assert not Clock.objects.filter(state="running", due_at__lte=NOW).exists()


@pytest.mark.django_db
def test_generate_command_prints_a_summary(reference: Any) -> None:
    out = StringIO()
    call_command("bench", "generate", "--tickets", "60", "--quiet", "--now", NOW.isoformat(), stdout=out)
    assert "generated 60 tickets" in out.getvalue()
    assert Ticket.objects.count() == 60


def test_generate_command_rejects_a_naive_anchor() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"offset|偏移"):
        call_command("bench", "generate", "--tickets", "1", "--now", "2026-11-23T10:00:00")


@pytest.mark.django_db
def test_search_index_is_filled_for_a_data_set_generated_without_it(reference: Any) -> None:
    from bench.dataset import bench_search_index_ensure
    from herdesk.search.models import SearchDocument

    bench_dataset_generate(tickets=120, seed=2, now=NOW, search_index=False)
    assert SearchDocument.objects.count() == 0
    assert bench_search_index_ensure() == 120
    assert SearchDocument.objects.count() == 120
    assert bench_search_index_ensure() == 0


@pytest.mark.django_db
def test_clocks_stop_where_the_services_stop_them_and_statistics_are_fresh(reference: Any) -> None:
    from django.db.models import F

    bench_dataset_generate(tickets=800, seed=1, now=NOW)
    # ticket_acknowledge emits handling_started for a complaint: its complaint_start clock stops
    # there (it used to keep counting, breached, on tens of thousands of closed tickets).
    acked = Clock.objects.filter(kind="complaint_start", ticket__acknowledged_at__isnull=False).exclude(
        state="cancelled"
    )
    assert acked.count() >= 10
    assert not acked.exclude(stopped_at=F("ticket__acknowledged_at")).exists()
    assert set(acked.values_list("state", flat=True)) <= {"met", "breached"}
    # Every generated ticket that is not cancelled is acknowledged, offered options and given
    # progress before it is resolved, so (as the services would leave them) the only clocks still
    # counting on a closed or cancelled ticket start at its resolution or close (follow-up, record).
    assert not (
        Clock.objects.filter(stopped_at__isnull=True, ticket__status__in=["closed", "cancelled"])
        .exclude(definition__start_event__in=["resolved", "closed"])
        .exists()
    )
    assert ClockIncident.objects.count() == Clock.objects.filter(breached_at__isnull=False).count()
    if connection.vendor == "postgresql":
        # The generator ends with ANALYZE (autovacuum may be off or late after a bulk load).
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Ticket._meta.db_table])
            assert cur.fetchone()[0] == 800

"""FLD-2: work orders — the lifecycle table (every allowed and refused transition), parts and stock,
the signed completion that makes the ticket's record complete and finalisable (CLS-3), the report
queued through the outbox, idempotent submissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.field import services as fs
from herdesk.field.choices import WorkOrderStatus
from herdesk.field.lifecycle import ACTIONS, TRANSITIONS, next_status
from herdesk.field.models import PartUsage, Stock, WorkOrder
from herdesk.tickets import services as ts

from .conftest import PNG, window

pytestmark = pytest.mark.django_db

ALL = [(s, a) for s in WorkOrderStatus.values for a in ACTIONS]


@pytest.mark.parametrize(("status", "action"), ALL)
def test_every_transition_allowed_or_refused_by_the_table(status, action, customer, staff) -> None:
    wo = fs.work_order_create(actor=staff["cs_lead"], kind="repair", customer=customer, content="修")
    WorkOrder.objects.filter(pk=wo.pk).update(status=status)
    wo.refresh_from_db()
    target = TRANSITIONS.get((status, action))
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            fs.work_order_transition(actor=staff["cs_lead"], work_order=wo, action=action)
        wo.refresh_from_db()
        assert wo.status == status
    else:
        fs.work_order_transition(actor=staff["cs_lead"], work_order=wo, action=action)
        wo.refresh_from_db()
        assert wo.status == target == next_status(status, action)


def _scheduled(ticket, staff, equipment=None):
    wo = fs.work_order_create(
        actor=staff["cs_lead"], kind="repair", ticket=ticket, equipment=equipment, content="更换奶杯内衬"
    )
    start, end = window(-3)
    return fs.work_order_schedule(
        actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=start, end=end
    )


def test_completed_work_order_makes_the_ticket_finalisable(ticket, staff, equipment, van) -> None:
    """CLS-3: completing the order writes the on-site interaction with content, time, place, staff
    and the customer's confirmation; the ticket then closes as customer-confirmed and finalises."""
    field = staff["field1"]
    store, part = van
    fs.ticket_equipment_link(actor=staff["agent1"], ticket=ticket, equipment=equipment)
    wo = _scheduled(ticket, staff)
    assert wo.equipment == equipment and wo.farm == ticket.customer.organisation
    fs.work_order_arrive(actor=field, work_order=wo, at=timezone.now() - dt.timedelta(hours=2))
    fs.part_use(actor=field, work_order=wo, part=part, store=store, quantity=2)
    assert Stock.objects.get(store=store, part=part).quantity == 3
    with pytest.raises(ValidationError) as bad:
        fs.work_order_complete(
            actor=field, work_order=wo, findings="", signed_by="", confirmation="", signature_png=b""
        )
    assert {"findings", "signed_by", "signature"} <= set(bad.value.message_dict)
    fs.work_order_complete(
        actor=field, work_order=wo, findings="内衬老化，已更换，试机正常", signed_by="张三",
        confirmation="设备运行正常", signature_png=PNG, meter_hours=1200,
    )  # fmt: skip
    wo.refresh_from_db()
    assert wo.status == "completed" and wo.signature and wo.report and wo.interaction_id
    visit = ticket.interactions.get(pk=wo.interaction_id)
    assert visit.kind == "onsite_visit" and "奶杯内衬 × 2" in visit.body
    assert visit.data["place"] and visit.data["staff"] and "张三" in visit.data["customer_confirmation"]
    assert ts.record_completeness(ticket=ticket) == []
    ts.ticket_resolve(ticket=ticket, actor=field, verification_method="onsite_check", summary="已修复")
    ts.ticket_close(ticket=ticket, actor=field, reason="customer_confirmed")  # the on-site sign-off
    ts.record_finalize(ticket=ticket, actor=field)
    ticket.refresh_from_db()
    assert ticket.record_finalized_at is not None
    equipment.refresh_from_db()
    assert equipment.meter_hours == 1200
    from herdesk.notifications.models import OutboxMessage

    msg = OutboxMessage.objects.get(dedupe_key=f"field-report:{wo.number}")
    assert msg.channel == "email" and msg.recipient == f"customer:{ticket.customer_id}"
    assert msg.payload["files"] == [wo.report.name]
    with wo.report.open("rb") as fh:
        assert fh.read(4) == b"%PDF"
    # The dispatcher sends it as an email with the PDF attached.
    from django.core import mail

    from herdesk.notifications.services import outbox_dispatch

    outbox_dispatch()
    sent = [m for m in mail.outbox if wo.number in m.subject]
    assert sent and sent[0].to == ["zhang@example.cn"]
    assert sent[0].attachments[0][0] == wo.report.name.rsplit("/", 1)[-1]
    assert sent[0].attachments[0][1][:4] == b"%PDF"


def test_parts_refused_below_zero_and_outside_the_visit(ticket, staff, van) -> None:
    field = staff["field1"]
    store, part = van
    wo = _scheduled(ticket, staff)
    with pytest.raises(TransitionNotAllowed):
        fs.part_use(actor=field, work_order=wo, part=part, store=store, quantity=1)
    fs.work_order_arrive(actor=field, work_order=wo)
    with pytest.raises(DomainError) as short:
        fs.part_use(actor=field, work_order=wo, part=part, store=store, quantity=6)
    assert short.value.code == "stock_short"
    assert Stock.objects.get(store=store, part=part).quantity == 5
    with pytest.raises(ValidationError):
        fs.part_use(actor=field, work_order=wo, part=part, store=store, quantity=0)
    with pytest.raises(DomainError):
        fs.stock_adjust(actor=staff["admin"], store=store, part=part, delta=-6)


def test_resent_submissions_are_applied_once(ticket, staff, van) -> None:
    field = staff["field1"]
    store, part = van
    wo = _scheduled(ticket, staff)
    fs.work_order_arrive(actor=field, work_order=wo, idempotency_key="k-arrive")
    fs.work_order_arrive(actor=field, work_order=wo, idempotency_key="k-arrive")  # no refusal: a no-op
    for _ in range(3):
        fs.part_use(
            actor=field, work_order=wo, part=part, store=store, quantity=1, idempotency_key="k-part-1"
        )
    assert PartUsage.objects.filter(work_order=wo).count() == 1
    assert Stock.objects.get(store=store, part=part).quantity == 4
    for _ in range(2):
        fs.work_order_complete(
            actor=field, work_order=wo, findings="好", signed_by="张三", confirmation="", signature_png=PNG,
            idempotency_key="k-done",
        )  # fmt: skip
    assert ticket.interactions.filter(kind="onsite_visit").count() == 1


def test_only_the_engineers_record_the_visit(ticket, staff) -> None:
    wo = _scheduled(ticket, staff)
    with pytest.raises(DomainError) as exc:
        fs.work_order_arrive(actor=staff["field2"], work_order=wo)
    assert exc.value.code == "not_engineer"


def test_signature_decoding() -> None:
    import base64

    assert fs.signature_decode("data:image/png;base64," + base64.b64encode(PNG).decode()) == PNG
    for bad in ("", "data:image/jpeg;base64,AAAA", "data:image/png;base64,!!!", "data:image/png;base64,QUFB"):
        with pytest.raises(ValidationError):
            fs.signature_decode(bad)


def test_schedule_input_refused(ticket, staff) -> None:
    wo = fs.work_order_create(actor=staff["cs_lead"], kind="repair", ticket=ticket)
    start, end = window(2)
    with pytest.raises(ValidationError):
        fs.work_order_schedule(actor=staff["cs_lead"], work_order=wo, engineers=[], start=start, end=end)
    with pytest.raises(ValidationError):
        fs.work_order_schedule(
            actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=end, end=start
        )


def test_overlaps_are_conflicts_not_refusals(customer, staff) -> None:
    f1 = staff["field1"]
    a = fs.work_order_create(actor=staff["cs_lead"], kind="repair", customer=customer)
    b = fs.work_order_create(actor=staff["cs_lead"], kind="inspection", customer=customer)
    start, end = window(24)
    fs.work_order_schedule(actor=staff["cs_lead"], work_order=a, engineers=[f1], start=start, end=end)
    fs.work_order_schedule(actor=staff["cs_lead"], work_order=b, engineers=[f1], start=start, end=end)
    assert [o.pk for o in fs.schedule_conflicts(engineer=f1, start=start, end=end, exclude=a.pk)] == [b.pk]
    from herdesk.field.selectors import board

    data = board(start=timezone.localdate(start))
    assert {a.pk, b.pk} <= data["conflicts"]

"""FLD-1: the equipment registry — warranty status, ticket link, import (dry run, validation,
all or nothing) and export round trip, QR label, public page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError

from herdesk.common.errors import DomainError
from herdesk.field import imports
from herdesk.field import services as fs
from herdesk.field.models import Equipment

pytestmark = pytest.mark.django_db


def test_warranty_status(equipment) -> None:
    equipment.installed_on, equipment.warranty_months = dt.date(2025, 1, 31), 13
    assert equipment.warranty_until == dt.date(2026, 2, 28)
    assert equipment.warranty_status(dt.date(2025, 6, 1)) == "in_warranty"
    assert equipment.warranty_status(dt.date(2026, 2, 1)) == "expiring"
    assert equipment.warranty_status(dt.date(2026, 3, 1)) == "expired"
    equipment.installed_on = equipment.purchased_on = None
    assert equipment.warranty_status() == "unknown"


def test_create_refuses_bad_input(customer, staff, equipment) -> None:
    with pytest.raises(ValidationError) as exc:
        fs.equipment_create(
            actor=staff["admin"], customer=customer, serial="X9-0001", latitude=95,
            purchased_on=dt.date(2026, 2, 1), installed_on=dt.date(2026, 1, 1),
        )  # fmt: skip
    assert {"serial", "latitude", "installed_on"} <= set(exc.value.message_dict)


def test_ticket_link_only_to_the_customers_equipment(ticket, equipment, staff, other_customer) -> None:
    fs.ticket_equipment_link(actor=staff["agent1"], ticket=ticket, equipment=equipment)
    assert ticket.equipment_link.equipment == equipment
    theirs = fs.equipment_create(actor=staff["admin"], customer=other_customer, serial="OTHER-1")
    with pytest.raises(DomainError):
        fs.ticket_equipment_link(actor=staff["agent1"], ticket=ticket, equipment=theirs)


def _csv(rows: list[str]) -> bytes:
    return ("\n".join([",".join(imports.COLUMNS), *rows]) + "\n").encode()


def test_import_dry_run_validation_and_round_trip(customer, staff, product, equipment) -> None:
    good = f"NEW-1,{customer.pk},{product.code},X9,,1号舍,,40.8,111.7,2026-01-02,2026-01-05,24,10,in_service"
    upd = f"X9-0001,{customer.pk},,X9,,3号舍,,,,,,12,0,under_repair"
    bad = "NEW-2,999999,nope,,,,,north,,2026-13-01,,x,,broken"
    rows = imports.read_rows(_csv([good, upd, bad]), "e.csv")
    report = imports.equipment_import(actor=staff["admin"], rows=rows, dry_run=False)
    cols = {c for _n, c, _m in report.errors}
    assert {"customer_id", "product_code", "latitude", "purchased_on", "warranty_months", "status"} <= cols
    assert {n for n, _c, _m in report.errors} == {4}
    assert not Equipment.objects.filter(serial="NEW-1").exists()  # all or nothing
    rows = imports.read_rows(_csv([good, upd]), "e.csv")
    dry = imports.equipment_import(actor=staff["admin"], rows=rows, dry_run=True)
    assert (dry.created, dry.updated, dry.errors) == (1, 1, [])
    assert not Equipment.objects.filter(serial="NEW-1").exists()
    imports.equipment_import(actor=staff["admin"], rows=rows, dry_run=False)
    new = Equipment.objects.get(serial="NEW-1")
    assert new.warranty_months == 24 and new.farm == customer.organisation and new.meter_hours == 10
    equipment.refresh_from_db()
    assert equipment.barn == "3号舍" and equipment.status == "under_repair"
    # Export → import again: the same rows, nothing to change but updates.
    data = imports.equipment_export(Equipment.objects.all(), "xlsx")
    again = imports.read_rows(data, "e.xlsx")
    assert len(again) == 2
    report = imports.equipment_import(actor=staff["admin"], rows=again, dry_run=True)
    assert (report.created, report.updated, report.errors) == (0, 2, [])
    assert imports.equipment_export(Equipment.objects.all(), "csv").decode("utf-8-sig").startswith("serial,")
    with pytest.raises(ValueError):
        imports.read_rows(b"\xff\xfe", "x.csv")
    with pytest.raises(ValueError):
        imports.read_rows(b"not a zip", "x.xlsx")
    with pytest.raises(ValueError):
        imports.read_rows(io.BytesIO(b"a,b\n1,2\n").getvalue(), "x.csv")


def test_qr_label_and_public_page(client, equipment, staff) -> None:
    client.force_login(staff["agent1"])
    page = client.get(f"/field/equipment/{equipment.pk}/label/")
    assert page.status_code == 200 and b"<svg" in page.content
    public = f"/field/e/{equipment.public_code}/"
    assert client.get(public).status_code == 302  # staff → the staff page
    client.logout()
    anon = client.get(public)
    assert anon.status_code == 200 and equipment.serial.encode() in anon.content
    assert client.get("/field/e/nope/").status_code == 404


def test_demo_rows(staff, customer) -> None:
    from herdesk.field.demo import field_demo_ensure
    from herdesk.field.models import Stock, WorkOrder

    field_demo_ensure(staff)
    assert Equipment.objects.filter(customer=customer).exists()
    assert Stock.objects.filter(store__code="van-field1", quantity=6).count() == 5
    assert WorkOrder.objects.filter(kind="repair", engineers=staff["field1"], status="scheduled").exists()
    field_demo_ensure(staff)  # idempotent
    assert Equipment.objects.count() == 1

"""The field-service pages: ticket hooks, the work order from a ticket, scheduling (the board's
refusal with its reason), the phone pages with idempotent submissions, the ICS feed, import page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from herdesk.field import reports
from herdesk.field import services as fs
from herdesk.field.models import PartUsage, WorkOrder

from .conftest import PNG_URL

pytestmark = pytest.mark.django_db


def _local(when):
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def test_ticket_page_shows_equipment_links_and_opens_a_work_order(client, ticket, equipment, staff) -> None:
    client.force_login(staff["field1"])
    page = client.get(f"/tickets/{ticket.number}/")
    assert (
        page.status_code == 200 and b'id="customer-equipment"' in page.content and b"X9-0001" in page.content
    )
    r = client.post(f"/field/ticket/{ticket.number}/equipment/", {"equipment": equipment.pk})
    assert r.status_code == 302 and ticket.equipment_link.equipment_id == equipment.pk
    assert (
        client.post(f"/field/ticket/{ticket.number}/equipment/", {"equipment": "999999"}).status_code == 302
    )
    bad = client.post(f"/field/ticket/{ticket.number}/work-order/", {"kind": "nope", "content": ""})
    assert bad.status_code == 400
    r = client.post(
        f"/field/ticket/{ticket.number}/work-order/",
        {"kind": "repair", "content": "更换内衬", "checklist": "a\nb"},
    )
    wo = WorkOrder.objects.get(ticket=ticket)
    assert r.status_code == 302 and wo.equipment_id == equipment.pk and len(wo.checklist) == 2
    history = client.get(f"/field/equipment/{equipment.pk}/")
    assert history.status_code == 200 and wo.number.encode() in history.content


def test_board_schedules_and_refuses_with_the_reason(
    client, customer, staff, django_assert_max_num_queries
) -> None:
    lead, f1 = staff["cs_lead"], staff["field1"]
    client.force_login(lead)
    wo = fs.work_order_create(actor=lead, kind="repair", customer=customer)
    start = timezone.now() + dt.timedelta(hours=3)
    r = client.post(
        f"/field/orders/{wo.number}/schedule/",
        {"s-engineers": [str(f1.pk)], "s-start": _local(start), "s-hours": "2", "next": "/field/board/"},
    )
    assert r.status_code == 302
    wo.refresh_from_db()
    assert wo.status == "scheduled" and list(wo.engineers.all()) == [f1]
    fs.disease_alert_declare(actor=lead, farm=customer.organisation, disease="口蹄疫")
    from herdesk.customers.services import customer_create, organisation_create

    other = customer_create(
        name="王五", organisation=organisation_create(name="青山牧场"), phone="13700001111"
    )
    nxt = fs.work_order_create(actor=lead, kind="repair", customer=other)
    r = client.post(
        f"/field/orders/{nxt.number}/schedule/",
        {"s-engineers": [str(f1.pk)], "s-start": _local(start + dt.timedelta(hours=5)), "s-hours": "2"},
    )
    assert r.status_code == 409 and "口蹄疫".encode() in r.content
    r = client.post(
        f"/field/orders/{nxt.number}/schedule/",
        {"s-engineers": [str(f1.pk)], "s-start": _local(start + dt.timedelta(hours=5)), "s-hours": "2",
         "next": "/field/board/"},
    )  # fmt: skip
    assert r.status_code == 302 and "refused=" in r["Location"]
    board = client.get(r["Location"], follow=True)
    assert "口蹄疫".encode() in board.content and b"fld-refused" in board.content
    assert client.post(f"/field/orders/{nxt.number}/schedule/", {"s-start": "x"}).status_code == 400
    with django_assert_max_num_queries(30):
        assert client.get("/field/board/").status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get("/field/orders/?status=all").status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get("/field/").status_code == 200
    assert client.get("/field/alerts/").status_code == 200
    assert client.get("/field/plans/").status_code == 200
    assert client.get(f"/field/orders/{wo.number}/").status_code == 200


def test_phone_pages_complete_with_signature_and_resends_are_applied_once(client, ticket, staff, van) -> None:
    lead, f1 = staff["cs_lead"], staff["field1"]
    store, part = van
    wo = fs.work_order_create(actor=lead, kind="repair", ticket=ticket, checklist=["检查"])
    start = timezone.now() - dt.timedelta(hours=1)
    fs.work_order_schedule(
        actor=lead, work_order=wo, engineers=[f1], start=start, end=start + dt.timedelta(hours=2)
    )
    client.force_login(f1)
    day = client.get("/field/my/")
    assert day.status_code == 200 and wo.number.encode() in day.content and b".ics" in day.content
    base = f"/field/my/{wo.number}/"
    assert client.get(base).status_code == 200
    assert client.post(base + "arrive/", {"idempotency_key": "a1"}).status_code == 302
    assert client.post(base + "arrive/", {"idempotency_key": "a1"}).status_code == 302  # resent: no-op
    assert client.post(base + "arrive/", {"idempotency_key": "a2"}).status_code == 409  # a new one: refused
    part_post = {"idempotency_key": "p1", "p-part": part.pk, "p-store": store.pk, "p-quantity": "2"}
    for _ in range(2):
        assert client.post(base + "part/", part_post).status_code == 302
    assert PartUsage.objects.filter(work_order=wo).count() == 1
    short = client.post(base + "part/", {**part_post, "idempotency_key": "p2", "p-quantity": "9"})
    assert short.status_code == 409
    assert client.post(base + "part/", {"p-part": "x"}).status_code == 400
    assert client.post(base + "nope/").status_code == 404
    missing = client.post(
        base + "complete/", {"idempotency_key": "c1", "d-findings": "好", "d-signed_by": "张三"}
    )
    assert missing.status_code == 400
    done = {
        "idempotency_key": "c2",
        "d-findings": "更换内衬，试机正常",
        "d-signed_by": "张三",
        "d-signature": PNG_URL,
        "check": ["0"],
    }
    assert client.post(base + "complete/", done).status_code == 302
    assert client.post(base + "complete/", done).status_code == 302  # the offline queue resending
    wo.refresh_from_db()
    assert wo.status == "completed" and wo.checklist[0]["done"]
    assert ticket.interactions.filter(kind="onsite_visit").count() == 1
    report = client.get(f"/field/orders/{wo.number}/report.pdf")
    assert report.status_code == 200 and report.content[:4] == b"%PDF"
    # The ICS feed: the token is the credential.
    feed = client.get(f"/field/ics/{reports.feed_token(f1)}.ics")
    assert (
        feed.status_code == 200 and wo.number.encode() in feed.content and b"BEGIN:VCALENDAR" in feed.content
    )
    client.logout()
    assert client.get(f"/field/ics/{reports.feed_token(f1)}.ics").status_code == 200
    assert client.get("/field/ics/forged.ics").status_code == 404


def test_import_page_dry_run(client, staff, customer) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from herdesk.field.imports import COLUMNS

    client.force_login(staff["admin"])
    body = ",".join(COLUMNS) + f"\nP-1,{customer.pk},,M,,,,,,,,12,0,in_service\n"
    r = client.post(
        "/field/equipment/import/", {"file": SimpleUploadedFile("e.csv", body.encode()), "dry_run": "on"}
    )
    assert r.status_code == 200 and b'id="import-report"' in r.content
    r = client.post("/field/equipment/import/", {"file": SimpleUploadedFile("e.xlsx", b"junk")})
    assert r.status_code == 400
    assert client.get("/field/equipment/export.xlsx").status_code == 200
    assert client.get("/field/equipment/export.pdf").status_code == 404
    new = {"customer_id": customer.pk, "serial": "N-1", "warranty_months": 12, "status": "in_service"}
    r = client.post("/field/equipment/new/", new)
    assert r.status_code == 302


def test_equipment_edit_page_saves_and_refuses_bad_input(client, staff, equipment) -> None:
    """FLD-1: staff with the change permission edit the registry facts; a bad date is a 400 with
    the reason, never a 500; others are refused."""
    client.force_login(staff["agent1"])
    assert client.get(f"/field/equipment/{equipment.pk}/edit/").status_code == 403
    client.force_login(staff["cs_lead"])
    r = client.get(f"/field/equipment/{equipment.pk}/edit/")
    assert r.status_code == 200 and "2 号牛舍" in r.content.decode()
    data = {
        "model": "X9-Pro", "installed_on": "2026-01-10", "warranty_months": "24", "barn": "3 号牛舍",
        "address": "草原路 90 号", "status": "under_repair", "warranty_terms": "整机两年",
    }  # fmt: skip
    r = client.post(f"/field/equipment/{equipment.pk}/edit/", data)
    assert r.status_code == 302
    equipment.refresh_from_db()
    assert (equipment.model, equipment.barn, equipment.warranty_months) == ("X9-Pro", "3 号牛舍", 24)
    r = client.post(f"/field/equipment/{equipment.pk}/edit/", {**data, "installed_on": "2099-01-01"})
    assert r.status_code == 400 and "日期不能晚于今天" in r.content.decode()

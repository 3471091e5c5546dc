"""FLD-2: the field API for the engineer's phone — my orders, one order, arrival / departure /
completion with an Idempotency-Key (applied once), the QR look-up; the permission gate; bad input
answered 4xx with a bilingual message; every input schema in the OpenAPI document."""

from __future__ import annotations

import json

import pytest

from herdesk.field import services as fs
from herdesk.field.models import Submission, WorkOrder

from .conftest import PNG_URL, window

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(ticket, staff):
    wo = fs.work_order_create(actor=staff["cs_lead"], kind="repair", ticket=ticket, content="挤奶机漏气")
    start, end = window(-1)
    return fs.work_order_schedule(
        actor=staff["cs_lead"], work_order=wo, engineers=[staff["field1"]], start=start, end=end
    )


def _post(client, path, body, key="key-00000001", **extra):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key, **extra
    )


def test_engineer_lists_gets_and_works_an_order_once(api, staff, order) -> None:
    c = api(staff["field1"].username)
    r = c.get("/api/v1/field/work-orders")
    assert r.status_code == 200 and [o["number"] for o in r.json()] == [order.number]
    assert c.get(f"/api/v1/field/work-orders/{order.number}").json()["status"] == "scheduled"
    base = f"/api/v1/field/work-orders/{order.number}"
    r1 = _post(c, f"{base}/arrive", {"at": None}, key="arrive-key-1")
    r2 = _post(c, f"{base}/arrive", {"at": None}, key="arrive-key-1")  # the phone resends
    assert r1.status_code == r2.status_code == 200 and r2.json()["status"] == "in_progress"
    assert r1.json()["arrived_at"] == r2.json()["arrived_at"]
    assert _post(c, f"{base}/depart", {}, key="depart-key-1").json()["departed_at"]
    body = {"findings": "更换内衬", "signed_by": "张三", "signature": PNG_URL, "confirmation": "满意"}
    r = _post(c, f"{base}/complete", body, key="complete-key-1")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert _post(c, f"{base}/complete", body, key="complete-key-1").status_code == 200
    assert Submission.objects.filter(work_order=order).count() == 3
    assert WorkOrder.objects.get(pk=order.pk).interaction_id is not None


def test_qr_lookup(api, staff, equipment) -> None:
    r = api(staff["field1"].username).get(f"/api/v1/field/equipment/by-code/{equipment.public_code}")
    assert r.status_code == 200 and r.json()["serial"] == "X9-0001"
    assert api(staff["field1"].username).get("/api/v1/field/equipment/by-code/nope").status_code == 404


def test_the_gate(api, staff, order) -> None:
    # A handler without the field permission; another engineer cannot act on someone else's order.
    assert api("agent1").get("/api/v1/field/work-orders").status_code == 403
    from django.contrib.auth.models import Group

    from herdesk.staff.models import User

    other = User.objects.create(username="field9", first_name="另一位工程师")
    other.groups.add(Group.objects.get(name="field_engineer"))
    c = api("field9")
    assert c.get("/api/v1/field/work-orders").json() == []
    # Engineers read every order (as on the pages' order list) but only work their own.
    assert c.get(f"/api/v1/field/work-orders/{order.number}").status_code == 200
    r = _post(c, f"/api/v1/field/work-orders/{order.number}/arrive", {}, key="someone-else")
    assert r.status_code == 403 and WorkOrder.objects.get(pk=order.pk).status == "scheduled"
    assert c.get("/api/v1/field/work-orders/WO-NOPE").status_code == 404


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "The signature could not be read."), ("zh-hans", "无法读取签名。")]
)
def test_bad_input_is_a_bilingual_4xx(api, staff, order, lang, text) -> None:
    c = api(staff["field1"].username)
    base = f"/api/v1/field/work-orders/{order.number}"
    # No Idempotency-Key: refused before anything happens.
    r = c.post(f"{base}/arrive", data="{}", content_type="application/json")
    assert r.status_code == 422
    assert _post(c, f"{base}/arrive", {"at": "yesterday"}).status_code == 422
    assert _post(c, f"{base}/complete", {"findings": "x"}).status_code == 422
    _post(c, f"{base}/arrive", {}, key="arrive-key-2")
    body = {"findings": "x", "signed_by": "张三", "signature": "data:image/png;base64,AAAA"}
    r = _post(c, f"{base}/complete", body, key="complete-key-2", HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 422 and text in json.dumps(r.json(), ensure_ascii=False)
    # A state that does not allow the action: 409, never a 500.
    r = _post(c, f"{base}/arrive", {}, key="arrive-key-3", HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 409 and r.json()["message"]
    assert c.get("/api/v1/field/work-orders?status=nope", HTTP_ACCEPT_LANGUAGE=lang).status_code == 422


def test_openapi_shows_each_input_schema(api) -> None:
    doc = api().get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert {"ArriveIn", "DepartIn", "CompleteIn", "WorkOrderOut", "EquipmentOut"} <= set(schemas)
    op = doc["paths"]["/api/v1/field/work-orders/{number}/complete"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CompleteIn")
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in op["parameters"])

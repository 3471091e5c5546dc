"""Phone/chat intake (INT-3, INT-7): look-up by phone, profile and history, checklist, read-back,
received_at = call start, new customers created inline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.catalog.models import Product
from herdesk.customers.models import Customer
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_intake_page_shows_greeting_checklist_and_call_start(login) -> None:
    html = login("agent1").get("/intake/").content.decode()
    assert "您好，这里是牧业公司客户服务中心，很高兴为您服务" in html
    for item in ("客户姓名", "联系方式（电话）", "地区", "产品型号 / 订单号", "问题描述"):
        assert item in html
    assert 'name="call_started_at"' in html


def test_lookup_by_phone_shows_profile_history_and_masks_the_number(login, make_ticket, customer) -> None:
    make_ticket(subject="冷藏罐温度异常", product=Product.objects.get(code="cooling-tank"))
    make_ticket(subject="投诉：配送员态度差", problem_type="complaint")
    r = login("agent1").get("/intake/lookup/?phone=138 1234 8000", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert "张三" in html and "绿源牧场" in html and "大客户" in html
    assert "138****8000" in html and "13812348000" not in html
    assert "冷藏罐温度异常" in html and "冷藏罐" in html  # history and products
    assert "1 个未结投诉" in html
    assert f'value="{customer.pk}"' in html


def test_lookup_of_unknown_or_bad_number(login, customer) -> None:
    c = login("agent1", lang="en")
    assert "No customer with this number" in c.get("/intake/lookup/?phone=13900009999").content.decode()
    r = c.get("/intake/lookup/?phone=abc")
    assert r.status_code == 200 and "is not a phone number" in r.content.decode()


def _post(started, **over):
    data = {
        "channel": "phone",
        "call_started_at": started.isoformat(),
        "phone": "13812348000",
        "region": "",
        "problem_type": "technical_support",
        "product": Product.objects.get(code="milking-machine").pk,
        "subject": "挤奶机压力异常 ERR-123",
        "description": "真空压力低，报警灯常亮",
        "priority": "normal",
        "complexity": "general",
        "confirmed": "on",
    }
    data.update(over)
    return data


def test_create_for_a_known_caller_uses_call_start_as_received_at(login, customer, staff) -> None:
    started = timezone.now().replace(microsecond=0) - timedelta(minutes=4)
    r = login("agent1").post("/intake/", _post(started, customer_id=customer.pk))
    assert r.status_code == 302, r.content.decode()[:3000]
    t = Ticket.objects.get()
    assert r["Location"] == f"/tickets/{t.number}/#triage"
    assert t.received_at == started and t.customer == customer and t.first_contact_owner == staff["agent1"]
    assert t.region == customer.region and t.contact is not None
    # The confirmed read-back is on the timeline and counts as the first response (INT-2).
    bodies = list(t.interactions.values_list("body", flat=True))
    assert any("好的，我理解您是关于挤奶机 MK-300 的技术支持问题" in b for b in bodies)
    assert t.first_response_at is not None


def test_create_with_a_new_customer_inline(login) -> None:
    started = timezone.now() - timedelta(minutes=1)
    r = login("agent1").post(
        "/intake/", _post(started, phone="13955556666", new_name="王五", region="宁夏 银川")
    )
    assert r.status_code == 302
    c = Customer.objects.get(name="王五")
    assert c.region == "宁夏 银川" and c.contacts.get().phone == "+8613955556666"
    assert Ticket.objects.get().customer == c


def test_missing_fields_are_named_and_nothing_is_created(login) -> None:
    r = login("agent1").post(
        "/intake/", _post(timezone.now(), phone="", product="", description="", confirmed="")
    )
    assert r.status_code == 400
    html = r.content.decode()
    for text in (
        "受理记录必填项：客户姓名",
        "受理记录必填项：联系方式（电话）",
        "受理记录必填项：地区",
        "受理记录必填项：产品型号 / 订单号",
        "受理记录必填项：问题描述",
        "请向客户复述概要",
    ):
        assert text in html, text
    assert not Ticket.objects.exists() and not Customer.objects.filter(name="").exists()


def test_bad_input_is_a_message_never_a_500(login, customer) -> None:
    c = login("agent1", lang="en")
    r = c.post("/intake/", _post(timezone.now(), customer_id=customer.pk, call_started_at="yesterday"))
    assert r.status_code == 400 and "Enter a valid date/time." in r.content.decode()
    r = c.post("/intake/", _post(timezone.now() + timedelta(hours=1), customer_id=customer.pk))
    assert r.status_code == 400 and "cannot be in the future" in r.content.decode()
    r = c.post("/intake/", _post(timezone.now() - timedelta(days=2), customer_id=customer.pk))
    assert r.status_code == 400 and "more than 12 hours ago" in r.content.decode()
    r = c.post("/intake/", _post(timezone.now(), phone="not-a-phone", new_name="赵六", region="北京"))
    assert r.status_code == 400 and "is not a phone number" in r.content.decode()
    r = c.post("/intake/", _post(timezone.now(), customer_id="999999"))
    assert r.status_code == 400 and "That customer was not found." in r.content.decode()
    r = c.post("/intake/", _post(timezone.now(), customer_id=customer.pk, problem_type="nonsense"))
    assert r.status_code == 400
    assert not Ticket.objects.exists()


def test_customers_only_visible_ones_can_be_chosen(login, customer) -> None:
    # Staff see every customer (customers_visible_to); the intake refuses ids that do not exist.
    r = login("agent1").post("/intake/", _post(timezone.now(), customer_id=customer.pk + 1000))
    assert r.status_code == 400

"""Submitting and following requests (INT-1/2, HND-6, SEC-3): the automatic acknowledgement carries
the number and the estimate without stopping the first-response clock; customers see the public
timeline only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from herdesk.catalog.models import Product
from herdesk.clocks.models import Clock
from herdesk.notifications.models import OutboxMessage
from herdesk.portal import services as ps
from herdesk.tickets.models import Interaction, Ticket


def _form(**kw: Any) -> dict[str, Any]:
    data = {
        "problem_type": "technical_support",
        "product": "",
        "order_number": "SO-2026-0042",
        "description": "挤奶机真空压力偏低\n报警代码 ERR-123",
        "submission_key": "k1",
    }
    data.update(kw)
    return data


def test_submit_creates_a_portal_ticket_and_shows_number_and_estimate(portal_client, customer) -> None:
    product = Product.objects.filter(is_active=True).first()
    r = portal_client.post(reverse("portal:ticket_new"), _form(product=product.pk))
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("portal:ticket_submitted", args=[ticket.number])
    assert (ticket.channel, ticket.customer, ticket.product, ticket.order_number) == (
        "portal",
        customer,
        product,
        "SO-2026-0042",
    )
    assert ticket.subject == "挤奶机真空压力偏低" and ticket.contact == customer.contacts.get()
    assert ticket.created_by.customer == customer and ticket.first_contact_owner is None
    page = portal_client.get(r["Location"]).content.decode()
    assert ticket.number in page and "30 minutes" in page and "4 hours" in page


def test_submitted_page_in_chinese_by_default(portal_user, customer) -> None:
    client = Client()
    client.force_login(portal_user)
    r = client.post(reverse("portal:ticket_new"), _form())
    page = client.get(r["Location"]).content.decode()
    assert '<html lang="zh-CN">' in page and Ticket.objects.get().number in page


def test_acknowledgement_is_queued_and_on_the_timeline_but_does_not_stop_first_response(
    submit, customer
) -> None:
    ticket = submit()
    ack = Interaction.objects.get(ticket=ticket, is_automatic=True)
    assert ack.direction == "outbound" and ack.is_public and ack.kind == "email" and ack.data["auto_ack"]
    assert ticket.number in ack.body and "30 minutes" in ack.body
    msg = OutboxMessage.objects.get(template="ticket_ack")
    assert msg.channel == "email" and msg.recipient == f"contact:{customer.contacts.get().pk}"
    assert msg.payload["ticket"] == ticket.number and msg.payload["response_target"] == "30m"
    assert msg.payload["text"] == ack.body and msg.payload["response_due"] == ack.data["response_due"]
    first = Clock.objects.get(ticket=ticket, kind="first_response")
    assert first.state == "running" and first.stopped_at is None  # INT-2: automatic ≠ human response
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_phone_only_customer_gets_the_acknowledgement_by_sms(other_user, submit) -> None:
    ticket = submit(user=other_user)
    assert OutboxMessage.objects.get(template="ticket_ack").channel == "sms"
    assert Interaction.objects.get(ticket=ticket, is_automatic=True).kind == "sms"


def test_a_double_submit_makes_one_ticket_and_one_acknowledgement(portal_client) -> None:
    first = portal_client.post(reverse("portal:ticket_new"), _form(submission_key="same"))
    second = portal_client.post(reverse("portal:ticket_new"), _form(submission_key="same"))
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1 and OutboxMessage.objects.filter(template="ticket_ack").count() == 1
    assert Interaction.objects.filter(is_automatic=True).count() == 1
    portal_client.post(reverse("portal:ticket_new"), _form(submission_key="other"))
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"problem_type": ""}, "problem_type", "Choose what your request is about."),
        ({"problem_type": "gossip"}, "problem_type", "Select a valid choice."),
        ({"description": "  "}, "description", "Describe your problem or request."),
        ({"description": "坏了"}, "description", "at least 5 characters"),
        ({"description": "x" * 5001}, "description", "at most 5000 characters"),
        ({"order_number": "SO 1; DROP"}, "order_number", "Use only letters, digits"),
        ({"product": "999999"}, "product", "Select a valid choice."),
    ],
)
def test_bad_input_is_a_400_with_the_message_and_the_text_kept(portal_client, data, field, message) -> None:
    r = portal_client.post(reverse("portal:ticket_new"), _form(**data))
    page = r.content.decode()
    assert r.status_code == 400 and message in page and Ticket.objects.count() == 0
    if field != "description":
        assert "挤奶机真空压力偏低" in page  # raw input is never lost


def test_bad_input_message_in_chinese(portal_user) -> None:
    client = Client()
    client.force_login(portal_user)
    r = client.post(reverse("portal:ticket_new"), _form(problem_type="gossip"))
    assert r.status_code == 400 and "选择一个有效的选项" in r.content.decode()  # Django's own catalogue


def test_service_validates_too(portal_user) -> None:
    with pytest.raises(ValidationError) as exc:
        ps.portal_ticket_submit(user=portal_user, problem_type="nope", description="")
    assert set(exc.value.message_dict) == {"problem_type", "description"}


def test_list_shows_the_organisations_tickets(portal_client, customer, submit, staff) -> None:
    from herdesk.customers.services import customer_create
    from herdesk.tickets.services import ticket_create

    colleague = customer_create(name="王五", organisation=customer.organisation, phone="13812340000")
    mine = submit()
    theirs = ticket_create(
        actor=staff["agent1"],
        customer=colleague,
        channel="phone",
        problem_type="order_inquiry",
        subject="饲料订单发货时间",
    )
    page = portal_client.get(reverse("portal:home")).content.decode()
    assert mine.number in page and theirs.number in page and "王五" in page


def test_list_query_count_stays_flat(portal_client, submit, django_assert_max_num_queries) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submit()
    with CaptureQueriesContext(connection) as few:
        assert portal_client.get(reverse("portal:home")).status_code == 200
    for i in range(8):
        submit(submission_key=f"k{i}", description=f"问题描述第 {i} 条，请尽快处理")
    with CaptureQueriesContext(connection) as many:
        assert portal_client.get(reverse("portal:home")).status_code == 200
    assert len(many) == len(few)
    with django_assert_max_num_queries(8):
        portal_client.get(reverse("portal:home"))


def test_detail_shows_the_public_timeline_only(portal_client, submit, agent_flow) -> None:
    ticket = submit()
    agent_flow.note(ticket, "内部备注：客户是大客户，优先处理")
    agent_flow.reply(ticket, "您好，工程师正在分析报警代码。")
    for url in (
        reverse("portal:ticket", args=[ticket.number]),
        reverse("portal:ticket_timeline", args=[ticket.number]),
    ):
        page = portal_client.get(url).content.decode()
        assert "工程师正在分析报警代码" in page and "报警代码 ERR-123" in page
        assert "内部备注" not in page and "Triaged" not in page
    assert Interaction.objects.filter(ticket=ticket, is_public=False).exists()


def test_reply_adds_a_customer_message(portal_client, submit) -> None:
    ticket = submit()
    r = portal_client.post(
        reverse("portal:ticket_reply", args=[ticket.number]), {"body": "补充：今天早上开始的"}
    )
    assert r.status_code == 302
    i = Interaction.objects.filter(ticket=ticket, direction="inbound").latest("id")
    assert (i.kind, i.channel, i.body, i.is_public) == ("web_form", "portal", "补充：今天早上开始的", True)
    empty = portal_client.post(reverse("portal:ticket_reply", args=[ticket.number]), {"body": " "})
    assert empty.status_code == 400 and "Write a message first." in empty.content.decode()


def test_reply_to_a_resolved_ticket_reopens_it(portal_client, submit, agent_flow) -> None:
    ticket = agent_flow.resolve(agent_flow.offer(submit()))
    portal_client.post(reverse("portal:ticket_reply", args=[ticket.number]), {"body": "又出现了"})
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1


def test_cancelled_ticket_takes_no_replies(portal_client, submit, staff) -> None:
    from herdesk.tickets.services import ticket_cancel

    ticket = submit()
    ticket_cancel(ticket=ticket, actor=staff["agent1"], reason="重复提交")
    r = portal_client.post(reverse("portal:ticket_reply", args=[ticket.number]), {"body": "还在吗"})
    assert r.status_code == 409 and "closed for replies" in r.content.decode()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_files_go_through_the_attachments_app_and_only_the_organisation_can_download(
    portal_client, other_client
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from herdesk.attachments.models import Attachment

    files = [
        SimpleUploadedFile("报警屏幕.png", PNG, content_type="image/png"),
        SimpleUploadedFile("记录.txt", "压力 42 kPa".encode(), content_type="text/plain"),
    ]
    r = portal_client.post(reverse("portal:ticket_new"), {**_form(), "attachments": files})
    assert r.status_code == 302
    ticket = Ticket.objects.get()
    stored = list(Attachment.objects.filter(ticket=ticket).order_by("id"))
    assert [(a.original_name, a.is_public, a.uploaded_by.customer_id) for a in stored] == [
        ("报警屏幕.png", True, ticket.customer_id),
        ("记录.txt", True, ticket.customer_id),
    ]
    page = portal_client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "报警屏幕.png" in page
    download = portal_client.get(reverse("portal:attachment", args=[stored[0].pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert other_client.get(reverse("portal:attachment", args=[stored[0].pk])).status_code == 404


def test_staff_only_files_are_not_shown_to_customers(portal_client, submit, agent_flow) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from herdesk.attachments.services import attachment_add

    ticket = submit()
    internal = attachment_add(
        ticket=ticket, actor=agent_flow.tech, upload=SimpleUploadedFile("内部.png", PNG)
    )
    assert (
        "内部.png" not in portal_client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    )
    assert portal_client.get(reverse("portal:attachment", args=[internal.pk])).status_code == 404


def test_a_refused_file_is_a_400_and_nothing_is_created(portal_client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("照片.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    r = portal_client.post(reverse("portal:ticket_new"), {**_form(), "attachments": [fake]})
    assert r.status_code == 400 and "does not match its type" in r.content.decode()
    assert Ticket.objects.count() == 0 and "挤奶机真空压力偏低" in r.content.decode()
    many = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(6)]
    r = portal_client.post(reverse("portal:ticket_new"), {**_form(), "attachments": many})
    assert r.status_code == 400 and "At most 5 files at a time." in r.content.decode()


def test_reply_with_a_file(portal_client, submit) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = submit()
    r = portal_client.post(
        reverse("portal:ticket_reply", args=[ticket.number]),
        {"body": "补充照片", "attachments": [SimpleUploadedFile("现场.png", PNG)]},
    )
    assert r.status_code == 302 and ticket.attachments.get().original_name == "现场.png"
    bad = portal_client.post(
        reverse("portal:ticket_reply", args=[ticket.number]),
        {"body": "再补充", "attachments": [SimpleUploadedFile("x.exe", b"MZ")]},
    )
    assert bad.status_code == 400 and "are not accepted" in bad.content.decode()
    assert ticket.attachments.count() == 1 and not ticket.interactions.filter(body="再补充").exists()

"""Chat services: identity, exactly-once messages, assignment, message-taking, tickets and clocks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from herdesk.chat import services as cs
from herdesk.chat.choices import ConversationStatus, Identity, OfflineReason, Sender
from herdesk.chat.models import ChatMessage
from herdesk.chat.tokens import conversation_id_from_token, conversation_token
from herdesk.clocks.models import Clock, ClockState
from herdesk.customers.models import Customer
from herdesk.tickets.models import Interaction

SH = ZoneInfo("Asia/Shanghai")


def _open(**kw):
    kw.setdefault("name", "王五")
    kw.setdefault("phone", "13700001234")
    return cs.conversation_open(**kw)


def _say(conv, body, cid, sender=Sender.CUSTOMER, author=None, now=None):
    return cs.message_post(
        conversation_pk=conv.pk, sender=sender, client_id=cid, body=body, author=author, now=now
    )


def test_open_unknown_phone_creates_customer(reference):
    before = Customer.objects.count()
    conv = _open()
    assert Customer.objects.count() == before + 1
    assert conv.status == ConversationStatus.WAITING
    assert conv.identity == Identity.PHONE
    assert conv.contact is not None and conv.contact.phone == "+8613700001234"
    assert conv.accept_deadline == conv.created_at + timedelta(seconds=120)


def test_open_known_phone_reuses_customer_marked_unverified(customer):
    conv = _open(name="自称张三", phone="138 1234 8000")
    assert conv.customer == customer
    assert conv.identity == Identity.PHONE  # matched by a number anybody could type (INT-7)
    assert conv.visitor_name == "自称张三"


def test_open_portal_customer_needs_no_form(customer, django_user_model):
    user = django_user_model.objects.create_user(username="c1", password="x" * 10, customer=customer)
    conv = cs.conversation_open(portal_user=user)
    assert conv.customer == customer and conv.identity == Identity.PORTAL
    assert conv.visitor_name == "张三"


@pytest.mark.parametrize(
    ("name", "phone", "field"),
    [
        ("", "13700001234", "name"),
        ("王五", "", "phone"),
        ("王五", "abc", "phone"),
        ("x" * 121, "13700001234", "name"),
    ],
)
def test_open_bad_input_is_a_field_error(reference, name, phone, field):
    with pytest.raises(ValidationError) as exc:
        _open(name=name, phone=phone)
    assert field in exc.value.message_dict


def test_outside_service_hours_opens_in_message_taking_mode(reference, settings):
    settings.HERDESK_CHAT_CALENDAR = "hotline"  # 08:00-20:00
    night = datetime(2026, 3, 10, 23, 0, tzinfo=SH)
    conv = _open(now=night)
    assert conv.status == ConversationStatus.OFFLINE
    assert conv.offline_reason == OfflineReason.CLOSED_HOURS
    r = _say(conv, "牛奶结块了，怎么办？", "c1", now=night + timedelta(minutes=1))
    conv.refresh_from_db()
    ticket = conv.ticket
    assert ticket is not None and ticket.channel == "chat"
    assert ticket.received_at == night + timedelta(minutes=1)
    fr = Clock.objects.get(ticket=ticket, kind="first_response")
    # 30 minutes on the hotline calendar: counted from the next opening at 08:00 (INT-2, CAL-3).
    assert fr.due_at == datetime(2026, 3, 11, 8, 30, tzinfo=SH)
    # The second message is added to the same ticket, not a new one (INT-8).
    _say(conv, "补充：是昨天买的", "c2", now=night + timedelta(minutes=2))
    assert Interaction.objects.filter(ticket=ticket, data__seq=2).count() == 1
    assert r.message.seq == 1


def test_messages_are_sequenced_and_exactly_once(reference):
    conv = _open()
    a = _say(conv, "你好", "m-1")
    b = _say(conv, "在吗", "m-2")
    again = _say(conv, "你好（重发）", "m-1")  # resent after a lost acknowledgement
    assert (a.message.seq, b.message.seq) == (1, 2)
    assert again.created is False and again.message.pk == a.message.pk and again.message.body == "你好"
    assert ChatMessage.objects.filter(conversation=conv).count() == 2


@pytest.mark.parametrize(
    ("body", "cid"),
    [("", "x"), ("   ", "x"), ("a" * 2001, "x"), ("ok", ""), ("ok", "c" * 65), ("ok", None), (5, "x")],
)
def test_bad_messages_are_refused_with_field_errors(reference, body, cid):
    conv = _open()
    with pytest.raises(ValidationError):
        _say(conv, body, cid)
    assert not ChatMessage.objects.filter(conversation=conv).exists()


def test_agent_must_accept_before_writing_and_only_one_agent_wins(reference, agent, agent2):
    conv = _open()
    with pytest.raises(cs.ChatError) as exc:
        _say(conv, "您好", "a1", sender=Sender.AGENT, author=agent)
    assert exc.value.code == "chat_not_yours"
    cs.conversation_accept(conversation_pk=conv.pk, agent=agent)
    with pytest.raises(cs.ChatError) as exc:
        cs.conversation_accept(conversation_pk=conv.pk, agent=agent2)
    assert exc.value.code == "chat_not_waiting"
    with pytest.raises(cs.ChatError):
        _say(conv, "我来", "b1", sender=Sender.AGENT, author=agent2)
    assert _say(conv, "您好，我是客服小王", "a1", sender=Sender.AGENT, author=agent).created


def test_nobody_accepts_in_time_the_chat_becomes_a_ticket(reference, agent):
    t0 = timezone.now() - timedelta(minutes=5)
    conv = _open(now=t0)
    _say(conv, "挤奶机漏气", "c1", now=t0 + timedelta(seconds=10))
    assert cs.chat_sweep(now=t0 + timedelta(seconds=60)) == 0  # not yet due
    assert cs.chat_sweep(now=t0 + timedelta(seconds=121)) == 1
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.OFFLINE and conv.offline_reason == OfflineReason.NO_AGENT
    assert conv.ticket.subject == "挤奶机漏气"
    assert conv.ticket.received_at == t0 + timedelta(seconds=10)
    clock = Clock.objects.get(ticket=conv.ticket, kind="first_response")
    assert clock.state == ClockState.RUNNING
    # Too late to accept: the customer was already told a ticket was made.
    with pytest.raises(cs.ChatError):
        cs.conversation_accept(conversation_pk=conv.pk, agent=agent)
    assert cs.chat_sweep(now=t0 + timedelta(seconds=300)) == 0  # runs twice safely


def test_customer_message_after_deadline_switches_to_message_taking(reference):
    t0 = timezone.now() - timedelta(minutes=5)
    conv = _open(now=t0)
    _say(conv, "有人吗", "c1", now=t0 + timedelta(seconds=150))
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.OFFLINE and conv.ticket is not None


def test_convert_records_the_first_reply_and_stops_the_first_response_clock(reference, agent):
    t0 = timezone.now() - timedelta(minutes=10)
    conv = _open(now=t0)
    _say(conv, "订单什么时候到？", "c1", now=t0 + timedelta(seconds=5))
    cs.conversation_accept(conversation_pk=conv.pk, agent=agent, now=t0 + timedelta(seconds=30))
    _say(conv, "您好，我帮您查一下", "a1", sender=Sender.AGENT, author=agent, now=t0 + timedelta(seconds=40))
    ticket = cs.conversation_convert(
        conversation_pk=conv.pk, agent=agent, problem_type="order_inquiry", now=t0 + timedelta(minutes=2)
    )
    ticket.refresh_from_db()
    assert ticket.channel == "chat" and ticket.problem_type == "order_inquiry"
    assert ticket.first_contact_owner == agent
    assert ticket.received_at == t0 + timedelta(seconds=5)
    assert ticket.first_response_at == t0 + timedelta(seconds=40)
    clock = Clock.objects.get(ticket=ticket, kind="first_response")
    assert clock.state == ClockState.MET and clock.stopped_at == t0 + timedelta(seconds=40)
    with pytest.raises(cs.ChatError):
        cs.conversation_convert(conversation_pk=conv.pk, agent=agent)


def test_close_stores_the_transcript_on_the_ticket(reference, agent):
    conv = _open()
    _say(conv, "奶粉怎么冲泡？", "c1")
    cs.conversation_accept(conversation_pk=conv.pk, agent=agent)
    cs.conversation_convert(conversation_pk=conv.pk, agent=agent)
    _say(conv, "70 度以下温水", "a1", sender=Sender.AGENT, author=agent)
    _say(conv, "谢谢", "c2")
    conv = cs.conversation_close(conversation_pk=conv.pk, actor=agent)
    assert conv.status == ConversationStatus.CLOSED and conv.transcript_saved_at
    transcript = Interaction.objects.get(ticket=conv.ticket, data__transcript=True)
    assert transcript.kind == "chat" and transcript.is_public
    lines = transcript.body.splitlines()
    assert len(lines) == 3 and lines[0].endswith("王五: 奶粉怎么冲泡？") and "70 度以下温水" in lines[1]
    assert cs.conversation_close(conversation_pk=conv.pk, actor=agent).pk == conv.pk  # idempotent
    with pytest.raises(cs.ChatError):
        _say(conv, "还有问题", "c3")


def test_close_without_ticket_still_records_the_chat(reference, agent):
    conv = _open()
    _say(conv, "你们几点下班", "c1")
    cs.conversation_accept(conversation_pk=conv.pk, agent=agent)
    _say(conv, "晚上 8 点", "a1", sender=Sender.AGENT, author=agent)
    conv = cs.conversation_close(conversation_pk=conv.pk, actor=agent)
    assert conv.ticket is not None
    conv.ticket.refresh_from_db()
    assert conv.ticket.first_response_at is not None
    assert "晚上 8 点" in conv.ticket.interactions.order_by("id").first().body


def test_an_empty_chat_makes_no_ticket(reference):
    conv = _open()
    conv = cs.conversation_close(conversation_pk=conv.pk)
    assert conv.ticket is None


def test_link_only_to_a_visible_ticket_of_the_same_customer(customer, other_customer, agent):
    from herdesk.tickets.services import ticket_create

    mine = ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="technical_support", subject="旧问题"
    )
    theirs = ticket_create(
        actor=agent,
        customer=other_customer,
        channel="phone",
        problem_type="technical_support",
        subject="别人的",
    )
    conv = _open(phone="13812348000")
    _say(conv, "还是那个问题", "c1")
    cs.conversation_accept(conversation_pk=conv.pk, agent=agent)
    with pytest.raises(ValidationError):
        cs.conversation_link(conversation_pk=conv.pk, agent=agent, ticket_number=theirs.number)
    with pytest.raises(ValidationError):
        cs.conversation_link(conversation_pk=conv.pk, agent=agent, ticket_number="FW-00000000-0000")
    assert cs.conversation_link(conversation_pk=conv.pk, agent=agent, ticket_number=mine.number) == mine


def test_tokens_name_one_conversation_and_resist_tampering(reference):
    a, b = _open(), _open(phone="13700009999", name="赵六")
    ta = conversation_token(a.public_id)
    assert conversation_id_from_token(ta) == a.public_id
    assert conversation_id_from_token(conversation_token(b.public_id)) == b.public_id
    assert conversation_id_from_token(ta[:-2] + ("AA" if not ta.endswith("AA") else "BB")) is None
    for junk in (None, "", 42, "x" * 400, "abc:def", "hct_" + "A" * 43):
        assert conversation_id_from_token(junk) is None


def test_a_known_secret_key_does_not_forge_a_token(reference, settings):
    """Issue #14: tokens used to be signing.dumps(SECRET_KEY); whoever knew SECRET_KEY could open any
    conversation. Now a token signed that way is worthless, and the database holds only hashes."""
    from herdesk.chat.models import ChatToken

    a = _open()
    forged = signing.dumps({"c": str(a.public_id)}, salt="herdesk.chat.conversation", compress=False)
    assert conversation_id_from_token(forged) is None
    token = conversation_token(a.public_id)
    assert not ChatToken.objects.filter(digest__contains=token[4:]).exists()
    assert token not in str(list(ChatToken.objects.values_list()))


def test_token_revoked_is_refused(reference):
    from herdesk.chat.tokens import conversation_tokens_revoke

    a = _open()
    token = conversation_token(a.public_id)
    assert conversation_tokens_revoke(a.public_id) == 1
    assert conversation_id_from_token(token) is None
    assert conversation_id_from_token(conversation_token(a.public_id)) == a.public_id  # a new one works


def test_expired_token_is_refused(reference, settings):
    settings.HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS = -1
    a = _open()
    token = conversation_token(a.public_id)
    assert conversation_id_from_token(token) is None


def test_customer_context_masks_phone_for_agents_and_lists_history(customer, agent):
    from herdesk.chat.selectors import customer_context
    from herdesk.tickets.services import ticket_create

    ticket_create(
        actor=agent, customer=customer, channel="phone", problem_type="after_sales", subject="冷藏罐维修"
    )
    conv = _open(phone="13812348000")
    conv.verified_at = timezone.now()  # the visitor entered the SMS code (test_verification.py)
    conv.save(update_fields=["verified_at"])
    ctx = customer_context(user=agent, conversation=conv)
    assert ctx["customer"]["phone"] == "138****8000" and ctx["customer"]["masked"]
    assert [t["subject"] for t in ctx["tickets"]] == ["冷藏罐维修"]
    assert ctx["open_tickets"] == 1

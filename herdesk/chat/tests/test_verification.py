"""Chat visitor phone verification (issue #14 "Trust", INT-7): a number typed in the widget proves
nothing, so the agent sees no history until the visitor enters the SMS code sent to that number."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from herdesk.audit.models import AuditEntry
from herdesk.chat import services as cs
from herdesk.chat import verification as v
from herdesk.chat.selectors import customer_context
from herdesk.common.errors import DomainError

pytestmark = pytest.mark.django_db
SENT: list[dict] = []


def fake_sender(*, phone: str, text: str, purpose: str) -> None:
    SENT.append({"phone": phone, "text": text, "purpose": purpose})


@pytest.fixture(autouse=True)
def _sms(settings):
    SENT.clear()
    settings.HERDESK_CHAT_SMS_SENDER = "herdesk.chat.tests.test_verification.fake_sender"


@pytest.fixture
def impostor(customer, staff, django_capture_on_commit_callbacks):
    from herdesk.tickets.services import ticket_create

    ticket_create(
        actor=staff["agent1"],
        customer=customer,
        channel="phone",
        problem_type="after_sales",
        subject="冷藏罐维修",
    )
    return cs.conversation_open(name="自称张三", phone="138 1234 8000")


def _code(django_capture_on_commit_callbacks, conv, now=None) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        v.verification_request(conversation_pk=conv.pk, now=now)
    return re.search(r"(\d{6})", SENT[-1]["text"]).group(1)


def test_an_unverified_visitor_shows_no_history(impostor, staff) -> None:
    ctx = customer_context(user=staff["cs_lead"], conversation=impostor)
    assert ctx["customer"]["verified"] is False
    assert ctx["tickets"] == [] and ctx["open_tickets"] == 0
    assert ctx["customer"]["phone"] == "" and ctx["customer"]["id"] is None
    assert ctx["customer"]["name"] == "自称张三"  # only what the visitor told us


def test_the_code_verifies_and_then_history_is_shown(
    impostor, staff, django_capture_on_commit_callbacks
) -> None:
    code = _code(django_capture_on_commit_callbacks, impostor)
    assert SENT[-1]["phone"] == "+8613812348000" and len(code) == 6
    impostor.refresh_from_db()
    assert code not in impostor.verify_code_hash  # stored as a keyed hash only
    conv = v.verification_check(conversation_pk=impostor.pk, code=code)
    assert conv.verified_at is not None
    ctx = customer_context(user=staff["agent1"], conversation=conv)
    assert ctx["customer"]["verified"] is True and [t["subject"] for t in ctx["tickets"]] == ["冷藏罐维修"]
    assert AuditEntry.objects.filter(action="chat.verified", object_id=conv.pk).exists()


def test_wrong_codes_count_and_lock(impostor, django_capture_on_commit_callbacks) -> None:
    code = _code(django_capture_on_commit_callbacks, impostor)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(v.MAX_ATTEMPTS):
        with pytest.raises(DomainError) as exc:
            v.verification_check(conversation_pk=impostor.pk, code=wrong)
        assert exc.value.code == "verify_wrong"
    impostor.refresh_from_db()
    assert impostor.verify_attempts == v.MAX_ATTEMPTS  # each failed attempt was committed
    with pytest.raises(DomainError) as exc:
        v.verification_check(conversation_pk=impostor.pk, code=code)  # even the right one now
    assert exc.value.code == "verify_locked"
    assert impostor.verified_at is None


def test_codes_expire_and_resends_are_limited(impostor, django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    code = _code(django_capture_on_commit_callbacks, impostor, now=now)
    with pytest.raises(DomainError) as exc:
        v.verification_request(conversation_pk=impostor.pk, now=now + timedelta(seconds=30))
    assert exc.value.code == "verify_wait"
    with pytest.raises(DomainError) as exc:
        v.verification_check(conversation_pk=impostor.pk, code=code, now=now + timedelta(minutes=11))
    assert exc.value.code == "verify_expired"
    # A new code replaces the old one.
    new = _code(django_capture_on_commit_callbacks, impostor, now=now + timedelta(minutes=12))
    if new != code:
        with pytest.raises(DomainError):
            v.verification_check(conversation_pk=impostor.pk, code=code, now=now + timedelta(minutes=12))
    assert v.verification_check(
        conversation_pk=impostor.pk, code=new, now=now + timedelta(minutes=13)
    ).verified_at


def test_portal_customers_need_no_code(customer, django_user_model, staff) -> None:
    user = django_user_model.objects.create_user(username="c1", password="x" * 10, customer=customer)
    conv = cs.conversation_open(portal_user=user)
    assert v.is_verified(conv)
    assert customer_context(user=staff["agent1"], conversation=conv)["customer"]["verified"] is True
    assert v.verification_request(conversation_pk=conv.pk) == conv and SENT == []  # nothing to send


def test_a_visitor_without_a_contact_phone_cannot_ask_for_a_code(impostor) -> None:
    from herdesk.chat.models import Conversation

    Conversation.objects.filter(pk=impostor.pk).update(contact=None)
    with pytest.raises(DomainError) as exc:
        v.verification_request(conversation_pk=impostor.pk)
    assert exc.value.code == "verify_no_phone"

"""Writes of the data-subject request register (SEC-4, SEC-6). Every step is audited (SEC-2).

Erasure keeps the statistics: tickets, their clocks, counts, KPIs and the audit chain stay; what
identifies or describes the person is removed. First the customer's data key is destroyed
(crypto-shredding: their address, ID number and contact details become unreadable in every copy,
backups and archives included; herdesk.common.models.SubjectKey), then, in the live database,
the customer's name, address and ID number, every contact detail (and its blind index, so the
number can no longer be found), ticket subjects and descriptions, timeline texts, chat messages,
emails and the raw inbound messages of their tickets; their portal logins are deactivated and
their chat tokens revoked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.selectors import working_calendar
from herdesk.chat.models import ChatMessage, Conversation
from herdesk.chat.tokens import conversation_tokens_revoke
from herdesk.common import crypto
from herdesk.common.keystore import key_export_forget
from herdesk.common.pii import mask_free_text
from herdesk.customers.models import Contact, Customer
from herdesk.inbound.models import InboundPayload
from herdesk.mail.models import EmailMessage
from herdesk.staff.models import User
from herdesk.tickets.models import Interaction, Ticket

from .models import DataSubjectRequest, RequestKind, RequestStatus

ERASED = "[已删除 erased]"


def dsr_due(received_at: datetime) -> datetime:
    """The statutory deadline: HERDESK_DSR_DEADLINE_WORKING_DAYS working days on the working
    calendar (holidays and 调休 make-up days included), counted from receipt."""

    cal = working_calendar(settings.HERDESK_DSR_CALENDAR)
    return cal.add_working_days(received_at, settings.HERDESK_DSR_DEADLINE_WORKING_DAYS)


@transaction.atomic
def dsr_open(
    *, actor: Any, customer: Any, kind: str, received_at: datetime | None = None, note: str = ""
) -> DataSubjectRequest:
    if kind not in RequestKind.values:
        raise ValidationError({"kind": _("Unknown request kind.")})
    received_at = received_at or timezone.now()
    request = DataSubjectRequest.objects.create(
        customer=customer,
        kind=kind,
        received_at=received_at,
        due_at=dsr_due(received_at),
        created_by=actor if getattr(actor, "pk", None) else None,
        note=note[:2000],
    )
    audit_record(
        actor=actor,
        action="dsr.open",
        object_type="dsr",
        object_id=request.pk,
        data={"kind": kind, "customer": customer.pk, "due_at": request.due_at.isoformat()},
    )
    return request


@transaction.atomic
def dsr_complete(
    *,
    actor: Any,
    request: DataSubjectRequest,
    result: dict[str, Any] | None = None,
    rejected: bool = False,
    note: str = "",
) -> DataSubjectRequest:
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("This request is already closed."))
    request.status = RequestStatus.REJECTED if rejected else RequestStatus.DONE
    request.completed_at = timezone.now()
    request.result = {**request.result, **(result or {})}
    if note:
        request.note = (request.note + "\n" + note).strip()[:4000]
    request.save(update_fields=["status", "completed_at", "result", "note"])
    audit_record(
        actor=actor,
        action="dsr.complete",
        object_type="dsr",
        object_id=request.pk,
        data={"status": request.status, "late": request.completed_at > request.due_at, **(result or {})},
    )
    return request


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_free_text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


@transaction.atomic
def subject_key_shred(*, actor: Any, customer: Any, dsr: int | None = None) -> int:
    """Crypto-shred a customer: destroy their data key (every value under it, in any copy, becomes
    unreadable) and give the record a fresh key for whatever is written to it later. Audited
    (`privacy.key_destroyed`, ids only). Returns 1 if a key was destroyed, 0 if there was none."""

    old = customer.data_key_id
    destroyed = bool(old) and crypto.subject_key_destroy(old)
    customer.data_key_id = crypto.subject_key_create()
    Customer.objects.filter(pk=customer.pk).update(data_key_id=customer.data_key_id)
    if destroyed:
        transaction.on_commit(lambda: key_export_forget(old))
        audit_record(
            actor=actor,
            action="privacy.key_destroyed",
            object_type="customer",
            object_id=customer.pk,
            data={"key": old, "dsr": dsr},
        )
    return int(destroyed)


@transaction.atomic
def dsr_erase(*, actor: Any, request: DataSubjectRequest) -> dict[str, int]:
    """Carry out an erasure request (see the module docstring); closes the request. Idempotent."""
    if request.kind != RequestKind.ERASURE:
        raise ValidationError(_("Only an erasure request erases."))
    counts = subject_erase(actor=actor, customer_id=request.customer_id, dsr=request.pk)
    dsr_complete(actor=actor, request=request, result={"erased": counts})
    return counts


@transaction.atomic
def subject_erase(*, actor: Any, customer_id: int, dsr: int | None = None) -> dict[str, int]:
    """Erase one customer's personal data, keeping the statistics (module docstring): the erasure
    of a data-subject request and of the retention job (customers inactive past their retention)."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    tickets = Ticket.objects.filter(customer=customer)
    counts: dict[str, int] = {}
    counts["keys_destroyed"] = subject_key_shred(actor=actor, customer=customer, dsr=dsr)
    counts["contacts"] = 0
    for contact in Contact.objects.filter(customer=customer):
        contact.name = ""
        contact.phone = ""
        contact.email = ""
        contact.phone_bidx = ""
        contact.email_bidx = ""
        contact.wechat_openid = ""
        contact.save(update_fields=["name", "phone", "email", "phone_bidx", "email_bidx", "wechat_openid"])
        counts["contacts"] += 1
    customer.name = f"已删除客户 #{customer.pk}"
    customer.address = ""
    customer.id_number = ""
    customer.save(update_fields=["name", "address", "id_number"])
    counts["tickets"] = tickets.update(subject=ERASED, description="")
    counts["interactions"] = 0
    for row in Interaction.objects.filter(ticket__in=tickets).only("pk", "data"):
        Interaction.objects.filter(pk=row.pk).update(body=ERASED, data=_scrub(row.data or {}))
        counts["interactions"] += 1
    counts["emails"] = EmailMessage.objects.filter(ticket__in=tickets).update(
        from_addr="", to_addrs="", cc_addrs="", subject=ERASED, text="", html_safe="", references=""
    )
    counts["raw_payloads"] = 0
    for pk in InboundPayload.objects.filter(ticket__in=tickets).values_list("pk", flat=True):
        InboundPayload.objects.filter(pk=pk).update(raw=b"", meta={"erased": True})
        counts["raw_payloads"] += 1
    conversations = Conversation.objects.filter(customer=customer)
    for public_id in conversations.values_list("public_id", flat=True):
        conversation_tokens_revoke(public_id)
    counts["chat_messages"] = ChatMessage.objects.filter(conversation__in=conversations).update(body=ERASED)
    conversations.update(visitor_name="", page_url="")
    counts["portal_logins"] = User.objects.filter(customer=customer).update(
        is_active=False, email="", first_name="", last_name="", display_name=""
    )
    return counts

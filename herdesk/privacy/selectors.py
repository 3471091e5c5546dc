"""Reads of the data-subject request register and the subject's data (access / export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from herdesk.audit.services import audit_record
from herdesk.chat.models import ChatMessage
from herdesk.customers.models import Contact, Customer
from herdesk.tickets.models import Interaction, Ticket

from .models import DataSubjectRequest, RequestStatus


def dsr_open_requests(*, now: datetime | None = None) -> QuerySet[DataSubjectRequest]:
    return (
        DataSubjectRequest.objects.filter(status=RequestStatus.OPEN)
        .select_related("customer")
        .order_by("due_at")
    )


def dsr_overdue(*, now: datetime | None = None) -> QuerySet[DataSubjectRequest]:
    return dsr_open_requests().filter(due_at__lt=now or timezone.now())


def dsr_export(*, actor: Any, request: DataSubjectRequest) -> dict[str, Any]:
    """Everything we hold about the request's subject, decrypted (PIPL art. 45: a copy of their
    personal information). A personal-data read: audited."""

    customer = Customer.objects.select_related("organisation").get(pk=request.customer_id)
    tickets = list(Ticket.objects.filter(customer=customer).order_by("id"))
    data = {
        "request": {"id": request.pk, "kind": request.kind, "received_at": request.received_at.isoformat()},
        "customer": {
            "name": customer.name,
            "kind": customer.kind,
            "organisation": customer.organisation.name if customer.organisation else "",
            "region": customer.region,
            "address": customer.address,
            "id_number": customer.id_number,
        },
        "contacts": [
            {"name": c.name, "phone": c.phone, "email": c.email, "wechat_openid": c.wechat_openid}
            for c in Contact.objects.filter(customer=customer).order_by("id")
        ],
        "tickets": [
            {
                "number": t.number,
                "subject": t.subject,
                "description": t.description,
                "status": t.status,
                "channel": t.channel,
                "received_at": t.received_at.isoformat() if t.received_at else None,
                "timeline": [
                    {
                        "at": i.occurred_at.isoformat(),
                        "kind": i.kind,
                        "direction": i.direction,
                        "text": i.body,
                    }
                    for i in Interaction.objects.filter(ticket=t, is_public=True).order_by(
                        "occurred_at", "id"
                    )
                ],
            }
            for t in tickets
        ],
        "chat_messages": [
            {"at": m.created_at.isoformat(), "sender": m.sender, "text": m.body}
            for m in ChatMessage.objects.filter(conversation__customer=customer).order_by("created_at", "id")
        ],
    }
    audit_record(
        actor=actor,
        action="pii.read",
        object_type="customer",
        object_id=customer.pk,
        data={"purpose": "dsr_export", "dsr": request.pk},
    )
    return data

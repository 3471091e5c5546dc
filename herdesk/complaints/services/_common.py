"""What the complaint services share: constants, the row lock, the timeline entry and audit of
every change, the field checks and the customer's tier."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.tickets.choices import Direction, InteractionKind
from herdesk.tickets.models import Ticket
from herdesk.tickets.services import interaction_add

from ..models import Complaint

log = logging.getLogger(__name__)

CALENDAR = "office"
WARN_PERCENT = 80
EFFECTIVENESS_DAYS = (30, 90)
MAX_WHYS = 5
MAX_LOTS = 20
TEXT_MAX = 4000
# 市场监管 forwarded complaints: the enterprise answers within the time given in the transfer; 7
# working days unless the transfer says otherwise.
REGULATOR_DEFAULT_DAYS = 7


def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("ticket").get(pk=complaint.pk)


def _timeline(complaint: Complaint, actor: Any, body: str, at: dt.datetime, **data: Any) -> None:

    interaction_add(
        ticket=complaint.ticket,
        actor=actor,
        body=body,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        is_public=False,
        occurred_at=at,
        data={"complaint": True, **{k: str(v) for k, v in data.items()}},
    )


def _audit(actor: Any, action: str, complaint: Complaint, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        object_type="complaint",
        object_id=complaint.ticket.number,
        data={k: (v if isinstance(v, int | bool | list) else str(v)) for k, v in data.items()},
    )


def _text(errors: dict[str, str], field: str, value: Any, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > TEXT_MAX:
        errors[field] = _("At most %(n)s characters.") % {"n": TEXT_MAX}
    return text


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        field = next(iter(errors))
        raise DomainError("; ".join(errors.values()), code="invalid", field=field)


def _tier_and_manager(ticket: Ticket) -> tuple[str, Any]:
    """The customer's tier and account manager (the organisation's when the customer has none)."""
    customer = ticket.customer
    org = ticket.organisation or (customer.organisation if customer else None)
    tier = (customer.tier if customer else "") or ""
    manager = customer.account_manager if customer and customer.account_manager_id else None
    if org is not None:
        if org.tier == "key_account":
            tier = "key_account"
        manager = manager or (org.account_manager if org.account_manager_id else None)
    return tier, manager

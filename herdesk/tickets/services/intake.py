"""The intake record rule (INT-3, S1 §三(一)2), for every caller that records a contact on the
customer's behalf: the workspace intake form and the API.

Every phone or chat contact must be recorded with the customer's name, contact details, region, the
product model or order number where the problem type needs one, and the problem description; the
received time is the call start, which cannot lie in the future nor so far back that it would
silently backdate every clock of the ticket. Channels the customer writes in themselves (email,
portal, WeChat, social) carry what the customer wrote and are not held to the checklist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from herdesk.customers.selectors import customer_has_contact

from ..choices import Channel

# The channels on which a person records the contact for the customer (the checklist applies).
INTAKE_CHANNELS = frozenset({Channel.PHONE, Channel.CHAT})

# Which problem types need a product model, which an order number (INT-3 "where relevant").
NEEDS_PRODUCT = frozenset({"technical_support", "after_sales", "product_inquiry"})
NEEDS_ORDER = frozenset({"order_inquiry"})
# A complaint names what it is about: a product or an order.
NEEDS_PRODUCT_OR_ORDER = frozenset({"complaint"})

CHECKLIST = (
    ("name", gettext_lazy("Customer name")),
    ("contact", gettext_lazy("Contact (phone)")),
    ("region", gettext_lazy("Region")),
    ("product", gettext_lazy("Product model / order number")),
    ("description", gettext_lazy("Problem description")),
)

# A call may have started a while before the agent submits, but not days ago: an old "call start"
# would silently backdate every clock of the ticket.
MAX_CALL_AGE = timedelta(hours=12)
CALL_START_TOLERANCE = timedelta(seconds=60)


def intake_missing(
    *,
    name: str,
    contact: str,
    region: str,
    problem_type: str,
    product: str,
    order_number: str,
    description: str,
) -> list[str]:
    """Checklist keys still missing for an intake record (INT-3); [] when complete."""
    missing = []
    if not (name or "").strip():
        missing.append("name")
    if not (contact or "").strip():
        missing.append("contact")
    if not (region or "").strip():
        missing.append("region")
    has_product, has_order = bool(product), bool((order_number or "").strip())
    if (
        (problem_type in NEEDS_PRODUCT and not has_product)
        or (problem_type in NEEDS_ORDER and not has_order)
        or (problem_type in NEEDS_PRODUCT_OR_ORDER and not (has_product or has_order))
    ):
        missing.append("product")
    if not (description or "").strip():
        missing.append("description")
    return missing


def intake_missing_message(key: str) -> str:
    return _("Required for the intake record: %(item)s.") % {"item": dict(CHECKLIST)[key]}


def call_start_error(started_at: datetime, *, now: datetime | None = None) -> str | None:
    """Why `started_at` cannot be a call's start (the ticket's received time), or None."""
    now = now or timezone.now()
    if started_at > now + CALL_START_TOLERANCE:
        return _("The call start cannot be in the future.")
    if started_at < now - MAX_CALL_AGE:
        return _("The call started more than 12 hours ago; open a new intake.")
    return None


# The API's field for each checklist item (a customer given by id carries name and contact).
API_FIELD = {
    "name": "customer_id",
    "contact": "customer_id",
    "region": "region",
    "product": "product_code",
    "description": "description",
}


def intake_check_for_customer(
    *,
    channel: str,
    customer: Any,
    problem_type: str,
    region: str = "",
    product: Any = None,
    order_number: str = "",
    description: str = "",
    received_at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """The intake rule for a contact recorded for an existing customer (the API's ticket creation).

    Raises ValidationError naming each missing element by the API's field (`product_code` for
    "product model / order number", `customer_id` when the customer has no name or no contact),
    and `received_at` when it cannot be the call start. Does nothing for channels the customer
    writes in themselves."""
    if channel not in INTAKE_CHANNELS:
        return

    missing = intake_missing(
        name=customer.name,
        contact="x" if customer_has_contact(customer) else "",
        region=region or customer.region,
        problem_type=problem_type,
        product=str(product.pk) if product is not None else "",
        order_number=order_number,
        description=description,
    )
    errors: dict[str, list[str]] = {}
    for key in missing:
        errors.setdefault(API_FIELD[key], []).append(intake_missing_message(key))
    # A future time is refused by ticket_create itself (every channel); here only the call-start age.
    now = now or timezone.now()
    if received_at is not None and timezone.is_aware(received_at) and received_at < now - MAX_CALL_AGE:
        errors["received_at"] = [str(call_start_error(received_at, now=now))]
    if errors:
        raise ValidationError(errors)

"""Every read of the emergencies app: plans, incidents, the ticket and customer selections of an
incident (product, batch, region, time window) and the portal's status banner (cached)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from herdesk.customers.models import Customer
from herdesk.field.choices import EquipmentStatus
from herdesk.field.models import Equipment
from herdesk.notifications.models import OutboxMessage
from herdesk.search.selectors import ticket_match_ids
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import tickets_visible_to

from .choices import ACTIVE_STATUSES
from .models import ContingencyPlan, Incident, IncidentRecipient, IncidentTicket
from .services import BANNER_CACHE_KEY

BANNER_SECONDS = 30
PAGE = 100


def plans() -> QuerySet[ContingencyPlan]:
    return ContingencyPlan.objects.prefetch_related("levels").order_by("event_type", "code")


def plan_get(code: str) -> ContingencyPlan:
    return ContingencyPlan.objects.prefetch_related("levels", "responsibilities", "steps", "templates").get(
        code=code
    )


def incidents(*, drills: bool | None = None, active: bool | None = None, limit: int = 100) -> list[Incident]:
    qs = Incident.objects.select_related("plan", "declared_by").annotate(n_links=Count("links"))
    if drills is not None:
        qs = qs.filter(is_drill=drills)
    if active:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    return list(qs.order_by("-id")[:limit])


def incident_get(number: str) -> Incident:
    return Incident.objects.select_related("plan", "declared_by", "product").get(number=number)


@dataclass(frozen=True)
class Timing:
    """A drill's (or an incident's) measures."""

    to_declare: timedelta | None
    to_first_notice: timedelta | None
    to_close: timedelta | None


def timing(incident: Incident) -> Timing:
    def gap(a: datetime | None, b: datetime | None) -> timedelta | None:
        return (b - a) if a is not None and b is not None else None

    return Timing(
        gap(incident.detected_at, incident.declared_at),
        gap(incident.declared_at, incident.first_notice_at),
        gap(incident.declared_at, incident.closed_at),
    )


def linked_tickets(incident: Incident, *, limit: int = PAGE) -> list[IncidentTicket]:
    return list(
        incident.links.select_related("ticket", "ticket__customer", "ticket__product").order_by("-id")[:limit]
    )


def delivery_counts(incident: Incident) -> dict[str, int]:
    """Recipients by state: the outbox row's status for queued ones (pending, sent, failed), else
    the recipient's own (no address, drill)."""
    out: dict[str, int] = {}
    for row in incident.recipients.exclude(status="queued").values("status").annotate(n=Count("id")):
        out[row["status"]] = row["n"]
    keys = incident.recipients.filter(status="queued").values("dedupe_key")
    for row in OutboxMessage.objects.filter(dedupe_key__in=keys).values("status").annotate(n=Count("id")):
        out[row["status"]] = out.get(row["status"], 0) + row["n"]
    return out


def recipients(incident: Incident, *, status: str = "", limit: int = PAGE) -> list[IncidentRecipient]:
    """Recipients with their delivery status (`delivery`, `attempts`, `sent_at`, `error` annotated
    from the outbox row), newest first; `status` filters on the delivery status."""
    outbox = OutboxMessage.objects.filter(dedupe_key=OuterRef("dedupe_key"))
    qs = incident.recipients.select_related("customer").annotate(
        delivery=Subquery(outbox.values("status")[:1]),
        attempts=Subquery(outbox.values("attempts")[:1]),
        sent_at=Subquery(outbox.values("sent_at")[:1]),
        error=Subquery(outbox.values("last_error")[:1]),
    )
    if status in ("pending", "sent", "failed", "sending"):
        qs = qs.filter(status="queued", delivery=status)
    elif status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-id")[:limit])


# --- selections ----------------------------------------------------------------------------------


def tickets_for_scope(
    *,
    user: Any,
    product: Any = None,
    batch: str = "",
    region: str = "",
    q: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    equipment_model: str = "",
    equipment_region: str = "",
) -> QuerySet[Ticket]:
    """The tickets `user` may see about this product, batch (full-text, like the search page: a
    batch number is written in the ticket's text), region (the ticket's, its customer's or its
    organisation's, by prefix) and receipt time window. ValidationError (field "q") as the search."""
    qs = tickets_visible_to(user)
    if product is not None:
        qs = qs.filter(product=product)
    if region:
        qs = qs.filter(
            Q(region__startswith=region)
            | Q(customer__region__startswith=region)
            | Q(organisation__region__startswith=region)
        )
    if equipment_model or equipment_region:
        # EMG-2: tickets about (or from the owners of) the equipment model, installed in the region.
        owners = equipment_in_scope(model=equipment_model, region=equipment_region)
        qs = qs.filter(
            Q(equipment_link__equipment__in=owners) | Q(customer_id__in=owners.values("customer_id"))
        )
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    if until is not None:
        qs = qs.filter(received_at__lt=until)
    text = " ".join(x for x in (batch.strip(), q.strip()) if x)
    if text:
        match = ticket_match_ids(text)
        if match is not None:
            qs = qs.filter(pk__in=match)
    return qs


def equipment_in_scope(*, model: str = "", region: str = "") -> QuerySet[Equipment]:
    """Equipment in service of a model (the registry's model, the product's model number or code)
    installed in a region (the farm's region by prefix; the street address is encrypted and not
    searchable). Retired equipment is not affected."""
    qs = Equipment.objects.exclude(status=EquipmentStatus.RETIRED)
    model = (model or "").strip()
    if model:
        qs = qs.filter(
            Q(model__iexact=model) | Q(product__model_number__iexact=model) | Q(product__code__iexact=model)
        )
    region = (region or "").strip()
    if region:
        qs = qs.filter(Q(farm__region__startswith=region) | Q(customer__region__startswith=region))
    return qs


def customers_for_scope(
    *,
    user: Any,
    incident: Incident,
    source: str = "linked",
    product: Any = None,
    batch: str = "",
    region: str = "",
    equipment_model: str = "",
    equipment_region: str = "",
) -> QuerySet[Customer]:
    """The affected customers: those of the incident's linked tickets ("linked"), or those chosen by
    product / batch (customers with a ticket about it) and region (the customer's or organisation's),
    or ("equipment") the owners of equipment of a model installed in a region (EMG-2)."""
    if source == "linked":
        return Customer.objects.filter(pk__in=incident.links.values("ticket__customer_id"))
    if source == "equipment":
        if not (equipment_model or "").strip() and not (equipment_region or "").strip():
            return Customer.objects.none()  # never "everybody" by accident
        owners = equipment_in_scope(model=equipment_model, region=equipment_region)
        return Customer.objects.filter(pk__in=owners.values("customer_id"))
    qs = Customer.objects.all()
    if product is not None or batch:
        tickets = tickets_for_scope(user=user, product=product, batch=batch)
        qs = qs.filter(pk__in=tickets.values("customer_id"))
    if region:
        qs = qs.filter(Q(region__startswith=region) | Q(organisation__region__startswith=region))
    if product is None and not batch and not region:
        return qs.none()  # never "everybody" by accident
    return qs


# --- the portal's banner -------------------------------------------------------------------------


def active_banners() -> list[dict[str, str]]:
    """The public statements of active incidents (not drills), newest first, for the portal and the
    help centre. Cached BANNER_SECONDS; every change of an incident clears it after commit."""
    cached = cache.get(BANNER_CACHE_KEY)
    if cached is not None:
        return list(cached)
    rows = (
        Incident.objects.filter(is_drill=False, status__in=ACTIVE_STATUSES)
        .exclude(public_statement="")
        .order_by("-id")
        .values("number", "title", "public_statement", "level", "status")[:3]
    )
    out = [
        {
            "number": r["number"],
            "title": r["title"],
            "text": r["public_statement"],
            "level": str(r["level"]),
            "status": r["status"],
        }
        for r in rows
    ]
    cache.set(BANNER_CACHE_KEY, out, BANNER_SECONDS)
    return out

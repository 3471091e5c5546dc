"""Small includes other pages use: the customer's equipment (ticket page, caller look-up) and the
customer's upcoming maintenance (portal)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from herdesk.field import selectors

register = template.Library()


@register.inclusion_tag("field/_customer_equipment.html", takes_context=True)
def customer_equipment(context: Any, customer_id: int | None, ticket: Any = None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("field.view_equipment"):
        return {"show": False}
    today = timezone.localdate()
    rows = [(e, e.warranty_status(today)) for e in selectors.customer_equipment(customer_id=customer_id)]
    linked = selectors.ticket_equipment(ticket_id=ticket.pk) if ticket is not None else None
    return {
        "show": True,
        "rows": rows,
        "ticket": ticket,
        "linked": linked,
        "orders": list(ticket.work_orders.all()) if ticket is not None else [],
        "can_link": ticket is not None and user.has_perm("tickets.change_ticket"),
        "can_order": ticket is not None and user.has_perm("field.add_workorder"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("field/_upcoming_maintenance.html")
def upcoming_maintenance(customer_id: int | None) -> dict[str, Any]:
    return {"rows": selectors.upcoming_maintenance(customer_id=customer_id) if customer_id else []}

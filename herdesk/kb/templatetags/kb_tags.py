"""The ticket page's knowledge panel (KB-2, KB-3, CLS-4): {% kb_ticket_panel t %} in ticket.html."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from herdesk.tickets.choices import Status

from .. import selectors
from ..suggest import suggest_for_ticket
from ..views import insert_text

register = template.Library()

TICKET_DONE = (Status.RESOLVED, Status.CLOSED)


@register.inclusion_tag("kb/partials/ticket_panel.html", takes_context=True)
def kb_ticket_panel(context: Any, ticket: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("kb.view_article"):
        return {"show": False}

    used = selectors.used_on_ticket(ticket=ticket)
    solved = selectors.solved_by_article(ticket=ticket)
    suggestions = suggest_for_ticket(user=user, ticket=ticket, limit=3)
    items = []
    seen: set[int] = set()
    for article, reason in [(a, "used") for a in used] + [(s.article, "suggested") for s in suggestions]:
        if article.pk in seen or article.published is None:
            continue
        seen.add(article.pk)
        link = ""
        if article.audience != "internal" and request is not None:
            try:
                link = request.build_absolute_uri(reverse("portal:help_article", args=[article.number]))
            except NoReverseMatch:
                link = ""
        items.append(
            {
                "article": article,
                "title": article.published.title,
                "used": reason == "used",
                "solved": article.pk in solved,
                "text": insert_text(article),
                "link": link,
            }
        )
    return {
        "show": True,
        "t": ticket,
        "items": items,
        "can_use": user.has_perm("tickets.add_interaction"),
        "can_credit": user.has_perm("tickets.add_interaction"),
        "can_propose": user.has_perm("kb.add_article") and ticket.status in TICKET_DONE,
        "proposed": selectors.proposed_from(ticket=ticket) if ticket.status in TICKET_DONE else None,
        "csrf_token": context.get("csrf_token"),
    }

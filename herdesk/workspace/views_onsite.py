"""The on-site visit record (CLS-3) from the ticket page: a form in the ticket's action panels
(partials/onsite_visit.html) posts here; the service writes the visit as the ticket's on-site
interaction. A page module of its own (views.py is being split)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from herdesk.common.errors import DomainError
from herdesk.tickets import services as ts
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get

from .forms_onsite import OnsiteVisitForm
from .views import _page, staff_required

PREFIX = "onsite"


def _ticket_or_404(user: Any, number: str) -> Ticket:
    try:
        return ticket_get(user=user, number=number[:32])
    except Ticket.DoesNotExist:
        raise Http404


@staff_required
def onsite_visit(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the form on a page of its own; POST: record the visit, back to the ticket's timeline.
    Bad input: the form with the reasons, 400; a ticket that takes no record (cancelled, merged,
    finalised): 409."""
    user: Any = request.user
    if not user.has_perm("tickets.add_interaction"):
        raise PermissionDenied
    ticket = _ticket_or_404(user, number)
    status = 200
    if request.method == "POST":
        form = OnsiteVisitForm(request.POST, prefix=PREFIX)
        if form.is_valid():
            d = form.cleaned_data
            try:
                ts.onsite_visit_record(
                    ticket=ticket,
                    actor=user,
                    content=d["content"],
                    started_at=d["started_at"],
                    ended_at=d["ended_at"],
                    place=d["place"],
                    staff=d["staff"],
                    customer_confirmation=d["customer_confirmation"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                for key, errs in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errs)
                status = 400
            else:
                messages.success(request, _("On-site visit recorded."))
                return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}) + "#timeline")
        else:
            status = 400
        messages.error(request, _("Please correct the marked fields."))
    else:
        form = OnsiteVisitForm(prefix=PREFIX, initial={"staff": str(user)})
    return _page(request, "workspace/onsite_visit.html", {"t": ticket, "form": form}, status=status)

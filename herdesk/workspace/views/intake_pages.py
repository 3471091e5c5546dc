"""The intake page (INT-3) and the caller look-up (INT-7)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from herdesk.catalog.models import Product
from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_phone
from herdesk.customers.models import Customer
from herdesk.phone.selectors import calls_visible_to
from herdesk.tickets.choices import Channel, ProblemType

from .. import actions, forms, intake, selectors
from ..templatetags.workspace_tags import local_name
from .common import (
    _apply_errors,
    _page,
    staff_required,
)


def _call_for(user: Any, call_id: str) -> Any:
    """The hotline call an intake records: one of the agent's own calls (supervisors: any)."""
    call_id = (call_id or "").strip()[:100]
    return calls_visible_to(user).filter(call_id=call_id).first() if call_id else None


def _intake_context(
    request: HttpRequest, form: forms.IntakeForm, phone: str, call: Any = None
) -> dict[str, Any]:
    user = request.user
    if call is not None and call.caller and not phone:
        # The caller's profile from the call's number, looked up server-side: the number itself is
        # not put into the page (agents see it masked, SEC-1).
        profiles, lookup_error = _lookup(user, call.caller)
    else:
        profiles, lookup_error = _lookup(user, phone)
    labels = {str(k): str(v) for k, v in ProblemType.choices}
    products = {str(p.pk): local_name(p) for p in Product.objects.filter(is_active=True)}
    return {
        "active": "intake",
        "form": form,
        "greeting": intake.greeting(),
        "checklist": intake.CHECKLIST,
        "profiles": profiles,
        "lookup_error": lookup_error,
        "phone": phone,
        "call": call,
        "call_caller": mask_phone(call.caller) if call is not None else "",
        "selected_customer": str(form["customer_id"].value() or ""),
        "auto_select": not form.is_bound,
        "intake_js": json.dumps(
            {
                "types": labels,
                "products": products,
                "readback": intake.readback_templates(),
                "needsProduct": sorted(intake.NEEDS_PRODUCT),
                "needsOrder": sorted(intake.NEEDS_ORDER),
                "needsEither": sorted(intake.NEEDS_PRODUCT_OR_ORDER),
            },
            ensure_ascii=False,
        ),
    }


def _lookup(user: Any, phone: str) -> tuple[list[selectors.CallerProfile], str]:
    phone = (phone or "").strip()[:40]
    if not phone:
        return [], ""
    try:
        return selectors.caller_lookup(user=user, phone=phone), ""
    except ValidationError as exc:
        return [], exc.messages[0]


@staff_required
def intake_page(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("tickets.add_ticket"):
        raise PermissionDenied
    if request.method != "POST":
        initial: dict[str, Any] = {
            "call_started_at": timezone.now().isoformat(timespec="seconds"),
            "phone": request.GET.get("phone", ""),
        }
        call = _call_for(user, request.GET.get("call", ""))
        if request.GET.get("call") and call is None:
            messages.warning(request, _("That call was not found among your calls."))
        if call is not None:
            # Opened from the screen pop: the call's start is the contact's receipt time (INT-2),
            # the caller is pre-selected and the call is linked to the ticket on submit.
            started = call.ringing_at or call.answered_at or timezone.now()
            initial.update(
                {
                    "call": call.call_id,
                    "channel": Channel.PHONE,
                    "call_started_at": started.isoformat(timespec="seconds"),
                    "customer_id": call.customer_id,
                }
            )
        form = forms.IntakeForm(initial=initial)
        return _page(
            request,
            "workspace/intake.html",
            _intake_context(request, form, request.GET.get("phone", ""), call),
        )
    customer = None
    raw_id = (request.POST.get("customer_id") or "").strip()
    if raw_id.isdigit():
        try:
            customer = selectors.customer_for_intake(user=user, pk=int(raw_id))
        except Customer.DoesNotExist:
            customer = None
    call = _call_for(user, request.POST.get("call", ""))
    form = forms.IntakeForm(request.POST, customer=customer, call=call)
    if form.is_valid():
        d = form.cleaned_data
        product = d.get("product")
        readback = intake.readback_summary(
            type_label=str(ProblemType(d["problem_type"]).label),
            subject=d["subject"],
            product_label=local_name(product) if product else "",
            order_number=d.get("order_number", ""),
        )
        try:
            ticket = actions.intake_submit(
                actor=user,
                customer=customer,
                new_name=d.get("new_name", ""),
                phone=d.get("phone", "") or (call.caller if call is not None else ""),
                region=d.get("region", ""),
                channel=d["channel"],
                call_started_at=d["call_started_at"],
                problem_type=d["problem_type"],
                subject=d["subject"],
                description=d.get("description", ""),
                product=product,
                order_number=d.get("order_number", ""),
                priority=d["priority"],
                complexity=d["complexity"],
                readback=readback,
                complaint_severity=d.get("complaint_severity", ""),
                call_id=call.call_id if call is not None else "",
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("Ticket %(n)s created. Triage it now (within 3 minutes).") % {"n": ticket.number}
            )
            return redirect(reverse("workspace:ticket", kwargs={"number": ticket.number}) + "#triage")
    messages.error(request, _("The intake record is incomplete; see the marked fields."))
    return _page(
        request,
        "workspace/intake.html",
        _intake_context(request, form, request.POST.get("phone", ""), call),
        status=400,
    )


@staff_required
@require_GET
def intake_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the caller's profile and history by phone number (INT-7)."""
    user: Any = request.user
    if not user.has_perm("tickets.add_ticket"):
        raise PermissionDenied
    phone = request.GET.get("phone", "")
    profiles, error = _lookup(user, phone)
    return render(
        request,
        "workspace/partials/caller_results.html",
        {
            "profiles": profiles,
            "lookup_error": error,
            "phone": phone.strip()[:40],
            "selected_customer": request.GET.get("customer_id", ""),
            # A fresh look-up with one match pre-selects it; after a POST only the agent's choice counts.
            "auto_select": True,
        },
    )

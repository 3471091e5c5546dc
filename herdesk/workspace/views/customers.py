"""Customers for staff (issue 13): the look-up, the customer/organisation page with its edits,
"reveal the phone number with a reason" and click-to-call; the satisfaction follow-up list and
the chat console's waiting count in the sidebar."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.chat.choices import ConversationStatus
from herdesk.chat.selectors import can_chat, conversations_visible_to
from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_phone
from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import ContactView
from herdesk.customers.services import contact_phone_reveal, customer_profile_update
from herdesk.phone.selectors import can_take_calls
from herdesk.phone.services import call_dial_request
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import ticket_get

from .. import customer_selectors, forms
from .common import _apply_errors, _is_htmx, _page, staff_required


def _may_see_customers(user: Any) -> None:
    if not user.has_perm("customers.view_customer"):
        raise PermissionDenied


@staff_required
@require_GET
def customers(request: HttpRequest) -> HttpResponse:
    """The customer look-up: by name or organisation, or the exact phone number."""
    user: Any = request.user
    _may_see_customers(user)
    form = forms.CustomerSearchForm(request.GET or None)
    rows: list[Customer] = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        d = form.cleaned_data if form.is_bound else {"q": "", "phone": ""}
        try:
            rows = customer_selectors.customer_list(user=user, q=d["q"], phone=d["phone"])
        except ValidationError as exc:
            _apply_errors(form, exc)
            status = 400
    return _page(
        request,
        "workspace/customers.html",
        {"form": form, "rows": rows, "active": "customers"},
        status=status,
    )


def _render_customer(
    request: HttpRequest,
    pk: int,
    *,
    form: forms.CustomerProfileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    try:
        data = customer_selectors.customer_page(user=user, pk=pk)
    except Customer.DoesNotExist:
        raise Http404
    c = data.customer
    can_edit = user.has_perm("customers.change_customer")
    if form is None and can_edit:
        form = forms.CustomerProfileForm(
            initial={
                "tier": c.tier,
                "account_manager": c.account_manager_id,
                "lifecycle_stage": c.lifecycle_stage,
            }
        )
    return _page(
        request,
        "workspace/customer.html",
        {"d": data, "c": c, "form": form, "can_edit": can_edit, "active": "customers"},
        status=status,
    )


@staff_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_see_customers(request.user)
    return _render_customer(request, pk)


@staff_required
@require_POST
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("customers.change_customer"):
        raise PermissionDenied
    try:
        customer = customer_selectors.customer_page(user=user, pk=pk).customer
    except Customer.DoesNotExist:
        raise Http404
    form = forms.CustomerProfileForm(request.POST)
    if form.is_valid():
        try:
            customer_profile_update(
                actor=user,
                customer=customer,
                tier=form.cleaned_data["tier"],
                account_manager=form.cleaned_data["account_manager"],
                lifecycle_stage=form.cleaned_data["lifecycle_stage"],
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Customer profile saved."))
            return redirect("workspace:customer", pk=pk)
    messages.error(request, _("Please correct the marked fields."))
    return _render_customer(request, pk, form=form, status=400)


def _contact(request: HttpRequest, pk: int) -> Contact:
    try:
        return customer_selectors.contact_for_staff(user=request.user, pk=pk)
    except Contact.DoesNotExist:
        raise Http404


def _ticket_of(request: HttpRequest, number: str, contact: Contact) -> Ticket | None:
    """The ticket a reveal or a call is made for (optional; must be visible and the customer's)."""
    if not number:
        return None
    try:
        t = ticket_get(user=request.user, number=number.strip().upper()[:32])
    except Ticket.DoesNotExist:
        return None
    return t if t.customer_id == contact.customer_id else None


def _phone_fragment(
    request: HttpRequest,
    contact: Contact,
    *,
    shown: str,
    masked: bool,
    error: str = "",
    note: str = "",
    status: int = 200,
) -> HttpResponse:
    view = ContactView(contact.name, shown, "", "", masked=masked)
    return render(
        request,
        "workspace/partials/contact_phone.html",
        {
            "cv": view,
            "contact_pk": contact.pk,
            "ticket_number": request.POST.get("ticket", "")[:32],
            "reveal_error": error,
            "phone_note": note,
            "nav_calls": _can_call(request.user),
        },
        status=status,
    )


def _can_call(user: Any) -> bool:
    return can_take_calls(user)


@staff_required
@require_POST
def contact_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal a masked phone number with a reason (audited, at most 20 an hour per user)."""

    contact = _contact(request, pk)
    form = forms.RevealForm(request.POST)
    error, number, status = "", "", 400
    if form.is_valid():
        try:
            number = contact_phone_reveal(
                actor=request.user, contact=contact, reason=form.cleaned_data["reason"]
            )
            status = 200
        except ValidationError as exc:
            error = " ".join(exc.messages)
            codes = {e.code for errs in getattr(exc, "error_dict", {}).values() for e in errs}
            status = 429 if "rate_limited" in codes else 400  # the hourly limit is reached
    else:
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
    # Always the fragment (the page asks by htmx): the number is never put into a redirect's
    # message, which would keep it in the session or a cookie.
    return _phone_fragment(
        request,
        contact,
        shown=number or mask_phone(contact.phone),
        masked=not number,
        error=error,
        note=_("Recorded in the audit log with your reason.") if number else "",
        status=status,
    )


@staff_required
@require_POST
def contact_dial(request: HttpRequest, pk: int) -> HttpResponse:
    """Click-to-call: the CTI dials the customer from the agent's extension; the number is not
    shown to the agent (phone.services.call_dial_request)."""

    contact = _contact(request, pk)
    ticket = _ticket_of(request, request.POST.get("ticket", ""), contact)
    try:
        call_dial_request(actor=request.user, contact=contact, ticket=ticket)
    except ValidationError as exc:
        error, note, status = " ".join(exc.messages), "", 400
    else:
        error, note, status = "", _("Calling… your phone rings first, then the customer's."), 200
    if not _is_htmx(request):
        (messages.success if not error else messages.error)(request, note or error)
        back = (
            reverse("workspace:ticket", kwargs={"number": ticket.number})
            if ticket is not None
            else reverse("workspace:customer", kwargs={"pk": contact.customer_id})
        )
        return redirect(back)
    return _phone_fragment(
        request, contact, shown=mask_phone(contact.phone), masked=True, error=error, note=note, status=status
    )


@staff_required
@require_GET
def follow_up(request: HttpRequest) -> HttpResponse:
    """Resolved and closed tickets still waiting for their satisfaction follow-up (回访, CLS-2)."""
    user: Any = request.user
    if not user.has_perm("tickets.change_ticket"):
        raise PermissionDenied
    now = timezone.now()
    rows = customer_selectors.follow_up_due(user=user, now=now)
    return _page(request, "workspace/follow_up.html", {"rows": rows, "now": now, "active": "follow_up"})


@staff_required
@require_GET
def chat_waiting_fragment(request: HttpRequest) -> HttpResponse:
    """htmx: the sidebar's count of chats waiting for an agent (refreshed every 15 s)."""

    if not can_chat(request.user):
        raise PermissionDenied
    n = conversations_visible_to(request.user).filter(status=ConversationStatus.WAITING).count()
    return render(request, "workspace/partials/chat_waiting.html", {"n": n})

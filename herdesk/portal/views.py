"""Customer portal pages. Thin: parse a form, call a service or selector, render.

Every ticket page looks the ticket up through `selectors.portal_ticket` (tickets_visible_to), so a
ticket of another organisation is a 404, never a 403 (SEC-3). Bad input re-renders the form with
messages in the user's language and a 4xx status; domain refusals are 409; nothing becomes a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from herdesk.attachments.models import Attachment
from herdesk.attachments.selectors import attachment_for_download, attachments_for
from herdesk.attachments.services import attachment_path
from herdesk.common.crypto import decrypt, encrypt
from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_phone
from herdesk.customers.models import Contact
from herdesk.notifications.customer_notices import preference_for
from herdesk.tickets.choices import Direction, Status
from herdesk.tickets.models import Ticket

from . import selectors, services
from .choices import CustomerStatus, TokenPurpose
from .errors import LinkError, RateLimited
from .forms import (
    ChooseForm,
    CodeForm,
    ConfirmForm,
    DisputeForm,
    EmailForm,
    NoticePreferenceForm,
    PhoneForm,
    ReplyForm,
    TicketForm,
)

SESSION_PHONE = "portal_login_phone"  # encrypted (SEC-1): the number typed, until the code is checked
SESSION_NEXT = "portal_next"
SESSION_CONTACT = "portal_contact_id"
PHONE_CTX = "portal.session.phone"

View = Callable[..., HttpResponseBase]


def portal_login_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.is_portal_user(request.user):
            if request.headers.get("HX-Request"):
                return HttpResponse(status=286)  # htmx: stop polling; the next full page asks to sign in
            # After signing in, come back to the page (an action URL only takes POSTs).
            back = request.get_full_path() if request.method == "GET" else reverse("portal:home")
            return redirect_to_login(back, login_url=reverse("portal:login"))
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, value: str | None) -> str:
    home = reverse("portal:home")
    if (
        value
        and value.startswith(home)
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return home


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's field errors on the form (unknown fields become non-field errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _sign_in(request: HttpRequest, result: services.SignIn) -> HttpResponse:
    assert result.user is not None
    next_url = _safe_next(request, request.session.get(SESSION_NEXT))
    auth_login(request, result.user, backend="herdesk.staff.backends.StaffBackend")
    request.session[SESSION_CONTACT] = result.contact_id
    messages.success(request, _("Welcome, %(name)s.") % {"name": result.user.display_name or result.user})
    return redirect(next_url)


# --- sign-in -------------------------------------------------------------------------------------


def login(request: HttpRequest) -> HttpResponse:
    if selectors.is_portal_user(request.user):
        return redirect(_safe_next(request, request.GET.get("next")))
    if "next" in request.GET:
        request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"))
    return render(
        request,
        "portal/login.html",
        {"phone_form": PhoneForm(), "email_form": EmailForm(), "tab": request.GET.get("tab", "phone")},
    )


@require_POST
def login_phone(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    status = 400
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            services.login_code_request(phone=phone, client_ip=request.META.get("REMOTE_ADDR", ""))
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session[SESSION_PHONE] = encrypt(phone, context=PHONE_CTX)
            # Same words for known and unknown numbers: the portal never tells who is a customer.
            messages.info(
                request,
                _(
                    "If this number is registered with us, a 6-digit code is on its way. "
                    "It is valid for 5 minutes."
                ),
            )
            return redirect("portal:login_verify")
    response = render(
        request,
        "portal/login.html",
        {"phone_form": form, "email_form": EmailForm(), "tab": "phone"},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = "60"
    return response


def _session_phone(request: HttpRequest) -> str:
    token = request.session.get(SESSION_PHONE, "")
    try:
        return decrypt(token, context=PHONE_CTX) if token else ""
    except Exception:  # a session from another key: ask for the number again
        return ""


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    phone = _session_phone(request)
    if not phone:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        from herdesk.staff import signin  # lockout like the staff sign-in (SEC-5)

        if signin.portal_code_locked(request, phone):
            return signin.lockout_response(request)
        status = 400
        if form.is_valid():
            result = services.login_code_verify(phone=phone, code=form.cleaned_data["code"])
            if result.ok:
                request.session.pop(SESSION_PHONE, None)
                signin.portal_code_succeeded(request, phone)
                return _sign_in(request, result)
            signin.portal_code_failed(request, phone)
            form.add_error("code", result.error)
            status = 403 if result.attempts_left == 0 else 400
    return render(
        request, "portal/login_verify.html", {"form": form, "masked_phone": mask_phone(phone)}, status=status
    )


@require_POST
def login_resend(request: HttpRequest) -> HttpResponse:
    phone = _session_phone(request)
    if not phone:
        return redirect("portal:login")
    try:
        services.login_code_request(phone=phone, client_ip=request.META.get("REMOTE_ADDR", ""))
    except RateLimited as exc:
        response = render(
            request,
            "portal/login_verify.html",
            {"form": CodeForm(), "masked_phone": mask_phone(phone), "error": exc.message},
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    messages.info(request, _("If this number is registered with us, a new code is on its way."))
    return redirect("portal:login_verify")


@require_POST
def login_email(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            services.login_link_request(
                email=form.cleaned_data["email"], base_url=request.build_absolute_uri("/").rstrip("/")
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("portal:login_email_sent")
    return render(
        request,
        "portal/login.html",
        {"phone_form": PhoneForm(), "email_form": form, "tab": "email"},
        status=400,
    )


def login_email_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/login_email_sent.html")


def _link_error(request: HttpRequest, exc: DomainError, purpose: str) -> HttpResponse:
    return render(
        request,
        "portal/link_error.html",
        {"message": exc.message, "code": exc.code, "purpose": purpose},
        status=exc.status,
    )


@require_http_methods(["GET", "POST"])
def login_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST signs in: mail scanners that open links must not use them up."""
    try:
        if request.method == "POST":
            return _sign_in(request, services.login_link_consume(token=token))
        row = selectors.portal_token_get(token=token, purpose=TokenPurpose.LOGIN)
    except (LinkError, DomainError) as exc:
        return _link_error(request, exc, TokenPurpose.LOGIN)
    return render(request, "portal/login_link.html", {"name": row.customer.name})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:login")


# --- my tickets ----------------------------------------------------------------------------------


def _ticket_or_404(request: HttpRequest, number: str) -> Ticket:
    try:
        return selectors.portal_ticket(user=request.user, number=number)
    except Ticket.DoesNotExist:
        raise Http404(_("No such request."))


@portal_login_required
def home(request: HttpRequest) -> HttpResponse:
    """My requests: newest first, with a filter by the status the customer sees."""
    from datetime import datetime

    status = request.GET.get("status", "")
    if status not in CustomerStatus.values:
        status = ""
    before = None
    raw = request.GET.get("before", "")
    at, _sep, pk = raw.rpartition("_")
    try:
        before = (datetime.fromisoformat(at), int(pk)) if at else None
    except ValueError:
        before = None
    rows = selectors.portal_tickets(
        user=request.user, before=before, status=status, limit=selectors.PAGE_SIZE
    )
    items = [{"ticket": t, "status": selectors.customer_status(t)} for t in rows]
    more = f"{rows[-1].received_at.isoformat()}_{rows[-1].pk}" if len(rows) == selectors.PAGE_SIZE else None
    filters = [("", _("All"))] + [
        (s.value, s.label)
        for s in (
            CustomerStatus.RECEIVED,
            CustomerStatus.IN_PROGRESS,
            CustomerStatus.WAITING_YOU,
            CustomerStatus.RESOLVED,
            CustomerStatus.CLOSED,
        )
    ]
    return render(
        request,
        "portal/home.html",
        {"items": items, "more": more, "paged": bool(before), "status": status, "filters": filters},
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    form = TicketForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            contact = Contact.objects.filter(pk=request.session.get(SESSION_CONTACT) or 0).first()
            try:
                ticket = services.portal_ticket_submit(
                    user=request.user,
                    problem_type=data["problem_type"],
                    description=data["description"],
                    product=data["product"],
                    order_number=data["order_number"],
                    contact=contact,
                    submission_key=data.get("submission_key") or None,
                    uploads=data.get("attachments") or [],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                return redirect("portal:ticket_submitted", number=ticket.number)
    return render(request, "portal/ticket_new.html", {"form": form}, status=status)


@portal_login_required
def ticket_submitted(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _ticket_or_404(request, number)
    estimate = selectors.ticket_estimate(ticket=ticket)
    return render(
        request,
        "portal/ticket_submitted.html",
        {
            "ticket": ticket,
            "estimate": estimate,
            "ack": selectors.acknowledgement_text(ticket=ticket, estimate=estimate),
        },
    )


def _timeline(request: HttpRequest, ticket: Ticket) -> list[dict[str, Any]]:
    me = request.user.pk
    rows = []
    # A resolved request shows its resolution in the "Is your problem solved?" card: once.
    shown_above = None
    if ticket.status == Status.RESOLVED:
        note = selectors.resolution_note(ticket=ticket)
        shown_above = note.pk if note is not None else None
    for i in selectors.portal_timeline(user=request.user, ticket=ticket):
        if i.pk == shown_above:
            continue
        if i.direction == Direction.INBOUND:
            side = "me" if i.author_id == me or i.author_id is None else "colleague"
        elif i.direction == Direction.OUTBOUND:
            side = "us"
        else:
            side = "event"
        rows.append(
            {
                "i": i,
                "side": side,
                "auto": i.is_automatic,
                "dispute": bool(i.data.get("dispute")),
                "mine": i.author_id == me,
                "label": _timeline_label(i),
            }
        )
    return rows


def _timeline_label(i: Any) -> str:
    """A heading for the public system messages the ticket services write (options, resolution)."""
    data = i.data or {}
    if "options" in data:
        return _("Solution options for you:")
    if "verification_method" in data:
        return _("Resolved:")
    if "new_due_at" in data:
        return _("New expected time:")
    return ""


def _detail(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    options = selectors.offered_options(ticket=ticket)
    can_choose = selectors.can_choose_option(ticket) and bool(options)
    if not can_choose and any(o.chosen_at for o in options):
        options = [o for o in options if o.chosen_at]  # once chosen, only the choice matters
    is_resolved = ticket.status == Status.RESOLVED
    context = {
        "ticket": ticket,
        "status": selectors.customer_status(ticket),
        "timeline": _timeline(request, ticket),
        "estimate": selectors.ticket_estimate(ticket=ticket),
        "options": options,
        "can_choose": can_choose,
        "chosen": any(o.chosen_at for o in options),
        "can_reply": selectors.can_reply(ticket),
        "is_resolved": is_resolved,
        "resolution": selectors.resolution_note(ticket=ticket) if is_resolved else None,
        "attachments": list(attachments_for(user=request.user, ticket=ticket)),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "choose_form": forms.get("choose_form") or ChooseForm(),
        "dispute_form": forms.get("dispute_form") or DisputeForm(),
        "action_error": forms.get("action_error", ""),
        "steps": _steps(ticket),
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


def _steps(ticket: Ticket) -> list[dict[str, Any]]:
    """The four steps a customer recognises, for the progress bar."""
    order = [
        (_("Request submitted"), {Status.NEW, Status.TRIAGED, Status.ASSIGNED}),
        (_("Being handled"), {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER}),
        (_("Resolved"), {Status.RESOLVED}),
        (_("Closed"), {Status.CLOSED}),
    ]
    current = next((n for n, (_label, states) in enumerate(order) if ticket.status in states), 0)
    return [
        {"label": label, "done": n < current, "current": n == current} for n, (label, _s) in enumerate(order)
    ]


@portal_login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _ticket_or_404(request, number))


@portal_login_required
def ticket_timeline(request: HttpRequest, number: str) -> HttpResponse:
    """The timeline alone, polled by htmx so progress appears without reloading (HND-6)."""
    ticket = _ticket_or_404(request, number)
    return render(
        request, "portal/_timeline.html", {"timeline": _timeline(request, ticket), "ticket": ticket}
    )


def _action(
    request: HttpRequest,
    number: str,
    form_name: str,
    form: Any,
    call: Callable[[Ticket, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Run one ticket action from the detail page: PRG on success, the page with errors otherwise."""
    ticket = _ticket_or_404(request, number)
    if not form.is_valid():
        return _detail(request, ticket, status=400, **{form_name: form})
    try:
        call(ticket, form.cleaned_data)
    except Ticket.DoesNotExist:
        raise Http404(_("No such request."))
    except ValidationError as exc:
        _add_errors(form, exc)
        return _detail(request, ticket, status=400, **{form_name: form})
    except DomainError as exc:
        ticket.refresh_from_db()
        return _detail(request, ticket, status=exc.status, action_error=exc.message)
    messages.success(request, done)
    return redirect("portal:ticket", number=ticket.number)


@portal_login_required
@require_POST
def ticket_reply(request: HttpRequest, number: str) -> HttpResponse:
    return _action(
        request,
        number,
        "reply_form",
        ReplyForm(request.POST, request.FILES),
        lambda t, d: services.portal_reply(
            user=request.user, ticket=t, body=d["body"], uploads=d.get("attachments") or []
        ),
        _("Your message has been sent."),
    )


@portal_login_required
@require_POST
def ticket_choose(request: HttpRequest, number: str) -> HttpResponse:
    return _action(
        request,
        number,
        "choose_form",
        ChooseForm(request.POST),
        lambda t, d: services.portal_option_choose(user=request.user, ticket=t, position=d["position"]),
        _("Thank you. We will go ahead with the option you chose."),
    )


@portal_login_required
@require_POST
def ticket_confirm(request: HttpRequest, number: str) -> HttpResponse:
    return _action(
        request,
        number,
        "confirm_form",
        ConfirmForm(request.POST),
        lambda t, d: services.portal_resolution_confirm(user=request.user, ticket=t),
        _("Thank you for confirming. Your request is now closed."),
    )


@portal_login_required
@require_POST
def ticket_dispute(request: HttpRequest, number: str) -> HttpResponse:
    return _action(
        request,
        number,
        "dispute_form",
        DisputeForm(request.POST),
        lambda t, d: services.portal_resolution_dispute(user=request.user, ticket=t, reason=d["reason"]),
        _("We are sorry it is not solved yet. Your request has been reopened and we will get back to you."),
    )


@portal_login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A public file of one of the customer's organisation's tickets, always as a download (404 else)."""
    try:
        attachment = attachment_for_download(user=request.user, pk=pk)
        handle = open(attachment_path(attachment), "rb")  # noqa: SIM115 - FileResponse closes it
    except (Attachment.DoesNotExist, FileNotFoundError):
        raise Http404(_("No such file."))
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- signed links from emails (no sign-in) --------------------------------------------------------


def _link_page(
    request: HttpRequest, template: str, ticket: Ticket, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "ticket": ticket,
        "status": selectors.customer_status(ticket),
        "options": selectors.offered_options(ticket=ticket),
        **extra,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def link_choose(request: HttpRequest, token: str) -> HttpResponse:
    purpose = TokenPurpose.CHOOSE_OPTION
    try:
        _row, ticket = selectors.action_link_get(token=token, purpose=purpose)
    except LinkError as exc:
        return _link_error(request, exc, purpose)
    form = ChooseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.link_option_choose(token=token, position=form.cleaned_data["position"])
        except LinkError as exc:
            return _link_error(request, exc, purpose)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return render(
                request,
                "portal/link_done.html",
                {"ticket": ticket, "message": _("Thank you. We will go ahead with the option you chose.")},
            )
    if not selectors.can_choose_option(ticket):
        return _link_page(
            request,
            "portal/link_choose.html",
            ticket,
            form=form,
            closed=True,
            status=409,
            error=_("The options of this request are no longer open for choice."),
        )
    return _link_page(
        request, "portal/link_choose.html", ticket, form=form, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
def link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    purpose = TokenPurpose.CONFIRM_RESOLUTION
    try:
        _row, ticket = selectors.action_link_get(token=token, purpose=purpose)
    except LinkError as exc:
        return _link_error(request, exc, purpose)
    dispute_form = DisputeForm(request.POST if request.POST.get("action") == "dispute" else None)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                ticket = services.link_resolution_confirm(token=token)
                return render(
                    request,
                    "portal/link_done.html",
                    {"ticket": ticket, "message": _("Thank you for confirming. Your request is now closed.")},
                )
            if dispute_form.is_valid():
                ticket = services.link_resolution_dispute(
                    token=token, reason=dispute_form.cleaned_data["reason"]
                )
                return render(
                    request,
                    "portal/link_done.html",
                    {
                        "ticket": ticket,
                        "message": _(
                            "We are sorry it is not solved yet. Your request has been "
                            "reopened and we will get back to you."
                        ),
                    },
                )
        except LinkError as exc:
            return _link_error(request, exc, purpose)
        except ValidationError as exc:
            _add_errors(dispute_form, exc)
        except DomainError as exc:
            error = exc.message
    if ticket.status != Status.RESOLVED:
        error = error or _("This request is no longer waiting for your confirmation.")
        return _link_page(
            request,
            "portal/link_confirm.html",
            ticket,
            dispute_form=dispute_form,
            error=error,
            closed=True,
            status=409,
        )
    return _link_page(
        request,
        "portal/link_confirm.html",
        ticket,
        dispute_form=dispute_form,
        error=error,
        resolution=selectors.resolution_note(ticket=ticket),
        status=400 if request.method == "POST" else 200,
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def notice_preferences(request: HttpRequest) -> HttpResponse:
    """How the customer is told about their requests (channel, only essential notices)."""

    user: Any = request.user
    current = preference_for(user.customer_id)
    initial = {
        "channel": current.channel if current else "",
        "opt_out_non_essential": bool(current and current.opt_out_non_essential),
    }
    form = NoticePreferenceForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.portal_notice_preference_update(
                    user=user,
                    channel=form.cleaned_data["channel"] or "",
                    opt_out_non_essential=form.cleaned_data["opt_out_non_essential"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("portal:preferences")
    return render(request, "portal/preferences.html", {"form": form}, status=status)

"""Channel health (JSON for monitors, a page for staff) and the quarantine desk.

Thin: permission checks, then selectors and services. Raw payloads are only ever downloaded as
attachments (application/octet-stream), never rendered.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from herdesk.audit.services import audit_record
from herdesk.common.pii import mask_raw_message
from herdesk.customers.selectors import can_view_personal_data

from . import selectors, services
from .choices import PayloadState


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Staff only; JSON errors instead of a login redirect (monitors and scripts call it)."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": "not_authenticated", "message": _("Sign in first.")}, status=401)
    if not selectors.can_view_health(request.user):
        return JsonResponse({"code": "forbidden", "message": _("Staff only.")}, status=403)
    return JsonResponse(selectors.channel_health())


@login_required
@require_GET
def channels_page(request: HttpRequest) -> HttpResponse:
    if not selectors.can_view_health(request.user):
        raise PermissionDenied
    quarantine = list(selectors.quarantine_visible_to(request.user).select_related("ticket")[:200])
    return render(
        request,
        "inbound/channels.html",
        {
            "health": selectors.channel_health(),
            "quarantine": quarantine,
            "can_manage": selectors.can_manage_quarantine(request.user),
        },
    )


@login_required
@require_GET
def payload_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The raw payload of a quarantined message. Administrators handle the quarantine but see
    personal data masked everywhere else: they get a masked rendering; whoever may see the
    customer's personal data unmasked gets the bytes (audited as a personal-data read)."""
    payload = get_object_or_404(selectors.payloads_visible_to(request.user), pk=pk)
    customer = payload.ticket.customer if payload.ticket is not None else None
    if can_view_personal_data(request.user, customer):
        body = bytes(payload.raw)
        ext = "eml" if payload.channel == "email" else "bin"
        audit_record(
            actor=request.user,
            action="pii.read",
            object_type="inbound_payload",
            object_id=payload.pk,
            data={"fields": ["raw_payload"], "purpose": "raw_download"},
        )
    else:
        body = mask_raw_message(bytes(payload.raw), channel=payload.channel)
        ext = "masked.txt"
        audit_record(
            actor=request.user,
            action="inbound.raw_download",
            object_type="inbound_payload",
            object_id=payload.pk,
            data={"masked": True},
        )
    response = HttpResponse(body, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="payload-{payload.pk}.{ext}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def payload_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not selectors.can_manage_quarantine(request.user):
        raise PermissionDenied
    payload = get_object_or_404(selectors.payloads_visible_to(request.user).defer("raw"), pk=pk)
    try:
        if action == "reprocess":
            result = services.payload_reprocess(payload=payload, actor=request.user)
            if result.state == PayloadState.PROCESSED:
                messages.success(
                    request,
                    _("Payload #%(id)d processed: %(outcome)s %(ticket)s")
                    % {"id": pk, "outcome": result.outcome, "ticket": result.ticket_number},
                )
            else:
                messages.warning(
                    request,
                    _("Payload #%(id)d is %(state)s again: %(reason)s")
                    % {"id": pk, "state": result.state, "reason": result.reason[:200]},
                )
        elif action == "discard":
            services.payload_discard(
                payload=payload, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Payload #%(id)d discarded.") % {"id": pk})
        else:
            return HttpResponse(status=404)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("inbound:channels")

"""Showing an email safely to staff: the sanitised HTML inside a sandboxed frame, the text with its
quoted part folded, the original and the attachments as downloads only (never inline)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from herdesk.audit.services import audit_record
from herdesk.common.pii import mask_email, mask_raw_message
from herdesk.customers.selectors import can_view_personal_data
from herdesk.inbound.models import InboundPayload

from . import selectors
from .models import EmailAttachment, EmailMessage


def _download_headers(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _addresses(user: object, em: EmailMessage) -> dict[str, list[str]]:
    """Sender and recipients as the reader may see them: addresses are personal data (SEC-1),
    masked for roles without customers.view_personal_data; an unmasked read is audited."""
    from email.utils import getaddresses

    full = can_view_personal_data(user)
    shown: dict[str, list[str]] = {}
    for key, raw in (("from", em.from_addr), ("to", em.to_addrs), ("cc", em.cc_addrs)):
        pairs = getaddresses([raw or ""])
        shown[key] = [
            (
                f"{name} <{addr if full else mask_email(addr)}>"
                if name
                else (addr if full else mask_email(addr))
            )
            for name, addr in pairs
            if addr or name
        ]
    if full and any(shown.values()):
        audit_record(
            actor=user,
            action="pii.read",
            object_type="email",
            object_id=em.pk,
            data={"fields": ["from", "to", "cc"], "purpose": "email_view"},
        )
    return shown


@login_required
@require_GET
def email_show(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        em = selectors.email_get(user=request.user, pk=pk)
    except EmailMessage.DoesNotExist:
        raise Http404
    response = render(
        request,
        "mail/email.html",
        {"em": em, "attachments": list(em.attachments.all()), "addresses": _addresses(request.user, em)},
    )
    # The sanitised HTML is shown in an <iframe sandbox srcdoc>: no scripts, no same-origin access.
    return response


@login_required
@require_GET
def email_raw(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The original message. Whoever may see this customer's personal data unmasked gets the bytes
    (a personal-data read, audited as such); everyone else who may see the email gets a masked
    rendering (issue #14: the raw download showed every address to roles that see masked data)."""
    try:
        em = selectors.email_get(user=request.user, pk=pk)
    except EmailMessage.DoesNotExist:
        raise Http404
    if em.payload_id is None:
        raise Http404

    raw = bytes(InboundPayload.objects.values_list("raw", flat=True).get(pk=em.payload_id))
    customer = em.ticket.customer if em.ticket is not None else None
    if can_view_personal_data(request.user, customer):
        audit_record(
            actor=request.user,
            action="pii.read",
            object_type="email",
            object_id=em.pk,
            data={"fields": ["raw_email"], "purpose": "raw_download"},
        )
        return _download_headers(
            HttpResponse(raw, content_type="application/octet-stream"), f"email-{em.pk}.eml"
        )
    audit_record(
        actor=request.user,
        action="mail.raw_download",
        object_type="email",
        object_id=em.pk,
        data={"masked": True},
    )
    return _download_headers(
        HttpResponse(mask_raw_message(raw, channel="email"), content_type="application/octet-stream"),
        f"email-{em.pk}-masked.txt",
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        att = selectors.attachment_get(user=request.user, pk=pk)
    except EmailAttachment.DoesNotExist:
        raise Http404
    if not att.storage_path:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / att.storage_path).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    audit_record(
        actor=request.user, action="mail.attachment_download", object_type="email", object_id=att.email_id
    )
    # FileResponse closes the file when the response is closed.
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    return _download_headers(response, att.filename)

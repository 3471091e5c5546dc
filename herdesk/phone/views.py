"""The CTI webhook and the agent's "this call is about ticket …" action. Thin.

CTI webhook contract (docs/architecture/realtime.md): POST JSON, headers
``X-Herdesk-Timestamp: <Unix seconds>`` and ``X-Herdesk-Signature: sha256=<hex>`` where the hex is
HMAC-SHA256(HERDESK_CTI_HMAC_SECRET, "<timestamp>." + body). Every request body is stored first
(committed) — also one with a missing or wrong signature, which is quarantined as "unknown source"
and answered 401 (missing) / 403 (wrong or stale) — then processed; 2xx means stored.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from herdesk.chat.webhooks import client_meta, ensure_source, json_error, read_body, signature_matches

from .ingest import peek_id
from .selectors import can_take_calls

log = logging.getLogger("herdesk.phone")
CHANNEL, SOURCE = "phone", "cti"


def verify(timestamp: str, signature: str, body: bytes, *, now: float | None = None) -> str:
    """ "" when the request is authentic, else why not (missing, stale, mismatch)."""
    if not timestamp or not signature:
        return "missing"
    try:
        ts = int(timestamp)
    except ValueError:
        return "bad_timestamp"
    if abs((now if now is not None else time.time()) - ts) > settings.HERDESK_CTI_MAX_SKEW_SECONDS:
        return "stale"
    if not signature_matches(signature, settings.HERDESK_CTI_HMAC_SECRET, f"{ts}.".encode() + body):
        return "mismatch"
    return ""


@csrf_exempt
@require_POST
def cti_events(request: HttpRequest) -> HttpResponse:
    from herdesk.inbound.choices import PayloadState
    from herdesk.inbound.services import payload_process, payload_store

    ensure_source(CHANNEL, SOURCE, "Hotline CTI")
    body = read_body(request)
    # A truncated body cannot be checked against its signature: answered 413, kept as evidence.
    why = (
        "truncated"
        if body.truncated
        else verify(
            request.headers.get("X-Herdesk-Timestamp", ""),
            request.headers.get("X-Herdesk-Signature", ""),
            body.raw,
        )
    )
    meta: dict[str, Any] = {
        **client_meta(request),
        "verified": not why and not body.truncated,
        "signature_error": why,
        "truncated": body.truncated,
        "declared_length": body.declared_length,
    }
    try:
        stored = payload_store(
            channel=CHANNEL,
            source=SOURCE,
            raw=body.raw,
            # Only an authentic request may name itself (call id + event: exactly once).
            external_id=peek_id(body.raw) if meta["verified"] else "",
            meta=meta,
        )
    except Exception:
        log.exception("cti: could not store an event")
        return json_error(503, "store_failed", _("The event could not be stored; please send it again."))
    result = None
    if stored.payload.state == PayloadState.PENDING:
        result = payload_process(payload_id=stored.payload.pk)
    if body.truncated:
        return json_error(
            413,
            "payload_too_large",
            _("The body is larger than %(n)d bytes.") % {"n": settings.HERDESK_WEBHOOK_MAX_BYTES},
        )
    if why == "missing":
        return json_error(
            401, "signature_required", _("Sign the request (X-Herdesk-Timestamp, X-Herdesk-Signature).")
        )
    if why:
        return json_error(
            403, "bad_signature", _("The signature does not match or the timestamp is too old.")
        )
    state = result.state if result is not None else stored.payload.state
    if state == PayloadState.QUARANTINED:
        reason = result.reason if result is not None else stored.payload.reason
        # Stored and kept for a human: the CTI must not resend it, but its integrator should know.
        return JsonResponse(
            {"status": "quarantined", "payload": stored.payload.pk, "reason": reason},
            status=422,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {
            "status": "duplicate" if not stored.created or stored.duplicate else "accepted",
            "payload": stored.payload.pk,
        },
        status=200,
    )


@login_required
@require_POST
def call_link(request: HttpRequest, call_id: str) -> HttpResponse:
    from .services import call_link_ticket

    if not can_take_calls(request.user):
        return json_error(403, "forbidden", _("Only service staff can link calls."))
    try:
        call = call_link_ticket(
            call_id=call_id, ticket_number=request.POST.get("ticket", ""), actor=request.user
        )
    except ValidationError as exc:
        errors = [{"field": k, "message": str(m)} for k, v in exc.message_dict.items() for m in v]
        return json_error(400, "validation_error", _("Some fields are invalid."), errors)
    return JsonResponse({"call_id": call.call_id, "ticket": call.ticket.number if call.ticket else ""})

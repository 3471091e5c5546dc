"""The signed generic social-media webhook (mentions, comments, direct messages).

Contract (docs/architecture/realtime.md): POST JSON with ``X-Herdesk-Signature: sha256=<hex>``,
the hex being HMAC-SHA256(HERDESK_SOCIAL_WEBHOOK_SECRET, body). The body is stored first
(committed) even when the signature is missing or wrong — then it is quarantined as "unknown
source" and answered 401/403 — and processed inline; exactly once per (platform, id).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from herdesk.chat.webhooks import client_meta, ensure_source, json_error, read_body, signature_matches

from .ingest import peek_id

log = logging.getLogger("herdesk.social")
CHANNEL, SOURCE = "social", "webhook"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    from herdesk.inbound.choices import PayloadState
    from herdesk.inbound.services import payload_process, payload_store

    ensure_source(CHANNEL, SOURCE, "Social media webhook")
    body = read_body(request)
    header = request.headers.get("X-Herdesk-Signature", "")
    why = ""
    if body.truncated:
        why = "truncated"  # cannot be checked against its signature: answered 413, kept as evidence
    elif not header:
        why = "missing"
    elif not signature_matches(header, settings.HERDESK_SOCIAL_WEBHOOK_SECRET, body.raw):
        why = "mismatch"
    verified = not why
    meta = {
        **client_meta(request),
        "verified": verified,
        "signature_error": why,
        "truncated": body.truncated,
        "declared_length": body.declared_length,
    }
    try:
        stored = payload_store(
            channel=CHANNEL,
            source=SOURCE,
            raw=body.raw,
            external_id=peek_id(body.raw) if verified else "",
            meta=meta,
        )
    except Exception:
        log.exception("social: could not store a webhook")
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
        return json_error(401, "signature_required", _("Sign the request (X-Herdesk-Signature)."))
    if why:
        return json_error(403, "bad_signature", _("The signature does not match."))
    state = result.state if result is not None else stored.payload.state
    if state == PayloadState.QUARANTINED:
        reason = result.reason if result is not None else stored.payload.reason
        return JsonResponse(
            {"status": "quarantined", "payload": stored.payload.pk, "reason": reason},
            status=422,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {
            "status": "duplicate" if not stored.created or stored.duplicate else "accepted",
            "payload": stored.payload.pk,
            "ticket": result.ticket_number if result is not None else "",
        }
    )

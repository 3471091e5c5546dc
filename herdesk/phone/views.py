"""The CTI webhook and the agent's "this call is about ticket …" action. Thin.

CTI webhook contract (docs/architecture/realtime.md): POST JSON, headers
``X-Herdesk-Timestamp: <Unix seconds>`` and ``X-Herdesk-Signature: sha256=<hex>`` where the hex is
HMAC-SHA256(HERDESK_CTI_HMAC_SECRET, "<timestamp>." + body). Every request body is stored first
(committed) — also one with a missing or wrong signature, which is quarantined as "unknown source"
and answered 401 (missing) / 403 (wrong or stale) — then processed; 2xx means stored.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from herdesk.inbound.webhooks import Body, SignedWebhook, json_error, signature_matches

from .ingest import peek_id
from .selectors import can_take_calls
from .services import call_link_ticket

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


def _verify(request: HttpRequest, body: Body) -> tuple[str, dict[str, Any]]:
    why = verify(
        request.headers.get("X-Herdesk-Timestamp", ""),
        request.headers.get("X-Herdesk-Signature", ""),
        body.raw,
    )
    return why, {}


CTI_WEBHOOK = SignedWebhook(
    channel=CHANNEL,
    label="Hotline CTI",
    source=lambda request: SOURCE,
    verify=_verify,
    # Only an authentic request may name itself (call id + event: exactly once).
    name=lambda raw, meta: (peek_id(raw), None),
    missing_message=gettext_lazy("Sign the request (X-Herdesk-Timestamp, X-Herdesk-Signature)."),
    mismatch_message=gettext_lazy("The signature does not match or the timestamp is too old."),
)
cti_events = CTI_WEBHOOK.view()


@login_required
@require_POST
def call_link(request: HttpRequest, call_id: str) -> HttpResponse:
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

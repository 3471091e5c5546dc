"""The signed generic social-media webhook (mentions, comments, direct messages).

Contract (docs/architecture/realtime.md): POST JSON with ``X-Herdesk-Signature: sha256=<hex>``,
the hex being HMAC-SHA256(HERDESK_SOCIAL_WEBHOOK_SECRET, body). The body is stored first
(committed) even when the signature is missing or wrong — then it is quarantined as "unknown
source" and answered 401/403 — and processed inline; exactly once per (platform, id).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from herdesk.inbound.webhooks import Body, SignedWebhook, signature_matches

from .ingest import peek_id

CHANNEL, SOURCE = "social", "webhook"


def _verify(request: HttpRequest, body: Body) -> tuple[str, dict[str, Any]]:
    header = request.headers.get("X-Herdesk-Signature", "")
    if not header:
        return "missing", {}
    if not signature_matches(header, settings.HERDESK_SOCIAL_WEBHOOK_SECRET, body.raw):
        return "mismatch", {}
    return "", {}


SOCIAL_WEBHOOK = SignedWebhook(
    channel=CHANNEL,
    label="Social media webhook",
    source=lambda request: SOURCE,
    verify=_verify,
    name=lambda raw, meta: (peek_id(raw), None),
    missing_message=gettext_lazy("Sign the request (X-Herdesk-Signature)."),
    mismatch_message=gettext_lazy("The signature does not match."),
)
webhook = SOCIAL_WEBHOOK.view()

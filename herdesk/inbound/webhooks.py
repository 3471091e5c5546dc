"""Receiving signed webhooks: the one view every push channel (CTI, social media, WeChat) uses.

Lives below the channels (docs/architecture/overview.md, the layer order): a channel app describes
its webhook as a `SignedWebhook` — how a request's signature is checked, how a verified body names
itself, what a successful answer looks like — and this module does the rest the same way for all:

  read at most HERDESK_WEBHOOK_MAX_BYTES → verify (a truncated body cannot be: 413) →
  `payload_store` (committed, also when the signature is missing or wrong: kept as evidence and
  quarantined as unknown source / bad signature) → `payload_process` inline → answer.
  2xx means stored. A payload that processing left pending (a database error) is picked up by the
  periodic inbound drain (herdesk.ops.jobs).

Bodies are read with a hard limit so an oversized request is answered 413 without reading it all;
errors are JSON in the API's shape {"code", "message", "errors"}.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .choices import PayloadState, ReasonCode
from .messages import ProcessResult, StoreResult
from .services import payload_process, payload_store, source_register

log = logging.getLogger("herdesk.inbound")


@dataclass(frozen=True)
class Body:
    raw: bytes
    truncated: bool
    declared_length: int | None


def read_body(request: HttpRequest) -> Body:
    """At most HERDESK_WEBHOOK_MAX_BYTES of the request body (truncated=True when there was more)."""
    limit = settings.HERDESK_WEBHOOK_MAX_BYTES
    try:
        declared: int | None = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = None
    raw = request.read(limit + 1)
    return Body(raw=raw[:limit], truncated=len(raw) > limit, declared_length=declared)


def json_error(
    status: int, code: str, message: Any, errors: list[dict[str, str]] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": str(message), "errors": errors or []},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def hmac_sha256_hex(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()


def signature_matches(header_value: str | None, secret: str, data: bytes) -> bool:
    """Constant-time check of an "sha256=<hex>" (or bare hex) signature header."""
    value = (header_value or "").strip()
    if value.lower().startswith("sha256="):
        value = value[7:]
    value = value.lower()
    if not value or not value.isascii():
        return False
    return hmac.compare_digest(hmac_sha256_hex(secret, data), value)


def unverified_reason(meta: dict[str, Any]) -> str:
    """Quarantine reason of a stored webhook body whose signature did not verify: no signature at
    all is an unknown source (401); a wrong or stale one is a bad signature (403) — a forgery, a
    replay or a secret out of step, which the admins must be able to tell apart."""
    if meta.get("signature_error") == "missing":
        return ReasonCode.UNKNOWN_SOURCE
    return ReasonCode.BAD_SIGNATURE


def client_meta(request: HttpRequest) -> dict[str, Any]:
    """Transport facts kept with a stored payload (never secrets)."""
    return {
        "remote_addr": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        "content_type": request.META.get("CONTENT_TYPE", "")[:100],
    }


_registered: set[tuple[str, str]] = set()


def ensure_source(channel: str, code: str, label: str) -> None:
    """Make the endpoint visible in channel health (/channels/health) once per process: push
    channels have no poller that would register them."""
    if (channel, code) in _registered:
        return
    try:
        source_register(channel=channel, code=code, label=label)
    except Exception:  # health bookkeeping must never refuse a payload
        return
    _registered.add((channel, code))


@dataclass
class Received:
    """What happened to one request: the channel's `respond` turns it into the answer."""

    why: str  # "" when authentic; else missing, mismatch, stale, bad_timestamp, truncated
    truncated: bool
    stored: StoreResult
    result: ProcessResult | None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return self.result.state if self.result is not None else self.stored.payload.state

    @property
    def status(self) -> str:
        return "duplicate" if not self.stored.created or self.stored.duplicate else "accepted"


@dataclass(frozen=True)
class SignedWebhook:
    """One channel's webhook. `verify(request, body)` returns (why, extra meta): why is "" for an
    authentic request, "missing" when it carries no signature, anything else for a wrong/stale one.
    `name(raw, meta)` gives (external id, content key) of a VERIFIED body — an unverified request
    never names itself, so it cannot pre-empt a real id. `respond` may replace the default answer."""

    channel: str
    label: str
    verify: Callable[[HttpRequest, Body], tuple[str, dict[str, Any]]]
    name: Callable[[bytes, dict[str, Any]], tuple[str, str | None]]
    source: Callable[[HttpRequest], str]
    # The 401 and 403 messages: lazy translations (gettext_lazy), answered in the request's language.
    missing_message: Any
    mismatch_message: Any
    respond: Callable[[Received], HttpResponse] | None = None

    def receive(self, request: HttpRequest) -> HttpResponse:
        source = self.source(request)
        ensure_source(self.channel, source, self.label)
        body = read_body(request)
        why, extra = self.verify(request, body)
        if body.truncated:  # cannot be checked against its signature: answered 413, kept as evidence
            why = "truncated"
        meta: dict[str, Any] = {
            **client_meta(request),
            **extra,
            "verified": not why,
            "signature_error": why,
            "truncated": body.truncated,
            "declared_length": body.declared_length,
        }
        external_id, content_key = self.name(body.raw, meta) if not why else ("", None)
        try:
            stored = payload_store(
                channel=self.channel,
                source=source,
                raw=body.raw,
                external_id=external_id,
                content_key=content_key,
                meta=meta,
            )
        except Exception:
            log.exception("%s: could not store a webhook", self.channel)
            return json_error(503, "store_failed", _("The event could not be stored; please send it again."))
        result = None
        if stored.payload.state == PayloadState.PENDING:
            result = payload_process(payload_id=stored.payload.pk)
        received = Received(why=why, truncated=body.truncated, stored=stored, result=result, meta=meta)
        return (self.respond or self.default_response)(received)

    def default_response(self, r: Received) -> HttpResponse:
        if r.truncated:
            return too_large()
        if r.why == "missing":
            return json_error(401, "signature_required", str(self.missing_message))
        if r.why:
            return json_error(403, "bad_signature", str(self.mismatch_message))
        payload = r.stored.payload
        if r.state == PayloadState.QUARANTINED:
            reason = r.result.reason if r.result is not None else payload.reason
            # Stored and kept for a human: the sender must not resend it, but its integrator should know.
            return JsonResponse(
                {"status": "quarantined", "payload": payload.pk, "reason": reason},
                status=422,
                json_dumps_params={"ensure_ascii": False},
            )
        return JsonResponse(
            {
                "status": r.status,
                "payload": payload.pk,
                "ticket": r.result.ticket_number if r.result is not None else "",
            }
        )

    def view(self) -> Callable[[HttpRequest], HttpResponse]:
        """The Django view: POST only, no CSRF (the signature is the authentication)."""

        @csrf_exempt
        @require_POST
        def webhook(request: HttpRequest) -> HttpResponse:
            return self.receive(request)

        webhook.__name__ = f"{self.channel}_webhook"
        return webhook


def too_large() -> HttpResponse:
    return json_error(
        413,
        "payload_too_large",
        _("The body is larger than %(n)d bytes.") % {"n": settings.HERDESK_WEBHOOK_MAX_BYTES},
    )

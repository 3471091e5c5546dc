"""Small HTTP helpers shared by the real-time channels' webhooks (phone/CTI, WeChat, social).

They live with the chat app because the four channel apps are one piece of work; nothing here
knows about any channel. Bodies are read with a hard limit (HERDESK_WEBHOOK_MAX_BYTES) so an
oversized request is answered 413 without reading it all, after its first bytes were stored as
evidence; errors are JSON in the API's shape {"code", "message", "errors"}.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse


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
    from herdesk.inbound.choices import ReasonCode

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
    from herdesk.inbound.services import source_register

    try:
        source_register(channel=channel, code=code, label=label)
    except Exception:  # health bookkeeping must never refuse a payload
        return
    _registered.add((channel, code))

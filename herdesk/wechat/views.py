"""The official account's server URL (服务器地址): URL verification (GET) and message push (POST,
plaintext or safe mode). Thin: verify, store raw (committed), process, answer.

Order of a POST: read at most HERDESK_WEBHOOK_MAX_BYTES → check `signature` (and, in safe mode,
`msg_signature`) → try to name the push by its MsgId (decrypting a copy; failure only means the
payload is de-duplicated by content instead) → `payload_store` (committed) → `payload_process`
(quarantine on any failure) → "success". WeChat retries a push three times when it gets no
answer within 5 s; the MsgId makes those retries harmless. A request with a bad signature is
stored too, quarantined as "unknown source", and answered 403.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from herdesk.chat.webhooks import client_meta, ensure_source, json_error, read_body

from .crypto import WeChatCryptoError, signature_ok
from .ingest import plaintext
from .parsing import ParseError, parse_message, parse_xml

log = logging.getLogger("herdesk.wechat")
CHANNEL = "wechat"


def _name(raw: bytes, meta: dict[str, Any]) -> tuple[str, str | None]:
    """(external id, content key) of a verified push, or ("", None) when it cannot be read now."""
    try:
        xml = plaintext(raw, meta)
        msg = parse_message(xml)
    except (ParseError, WeChatCryptoError, ValueError):
        return "", None
    # Content key over the decrypted message: a retry re-encrypted with a new random prefix is
    # recognised as the same message, not as an id reused by a different one.
    return msg.external_id, hashlib.sha256(xml).hexdigest()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    from herdesk.inbound.choices import PayloadState
    from herdesk.inbound.services import payload_process, payload_store

    q = request.GET
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    verified = bool(timestamp and nonce) and signature_ok(
        q.get("signature", ""), settings.HERDESK_WECHAT_TOKEN, timestamp, nonce
    )
    if request.method == "GET":
        if not verified:
            return json_error(403, "bad_signature", _("The signature does not match."))
        return HttpResponse(q.get("echostr", ""), content_type="text/plain; charset=utf-8")

    ensure_source(CHANNEL, settings.HERDESK_WECHAT_APPID, "WeChat official account")
    body = read_body(request)
    meta: dict[str, Any] = {
        **client_meta(request),
        "mode": "aes" if q.get("encrypt_type") == "aes" else "plain",
        "verified": verified,
        # Quarantine reason: no signature at all = unknown source, a wrong one = bad signature.
        "signature_error": ""
        if verified
        else ("mismatch" if q.get("signature") and timestamp and nonce else "missing"),
        "timestamp": timestamp[:20],
        "nonce": nonce[:64],
        "msg_signature": q.get("msg_signature", "")[:64],
        "openid": q.get("openid", "")[:64],
        "truncated": body.truncated,
        "declared_length": body.declared_length,
    }
    if verified and meta["mode"] == "aes":
        try:
            encrypted: str | None = parse_xml(body.raw).get("Encrypt", "")
        except ParseError:
            encrypted = None  # unreadable: stored, then quarantined as a parse error
        if encrypted is not None and not signature_ok(
            meta["msg_signature"], settings.HERDESK_WECHAT_TOKEN, timestamp, nonce, encrypted
        ):
            verified = meta["verified"] = False
            meta["signature_error"] = "mismatch"
    external_id, content_key = _name(body.raw, meta) if verified and not body.truncated else ("", None)
    try:
        stored = payload_store(
            channel=CHANNEL,
            source=settings.HERDESK_WECHAT_APPID,
            raw=body.raw,
            # An unverified request never names itself: it must not pre-empt a real MsgId.
            external_id=external_id,
            content_key=content_key,
            meta=meta,
        )
    except Exception:
        log.exception("wechat: could not store a push")
        return json_error(503, "store_failed", _("The message could not be stored; please send it again."))
    if stored.payload.state == PayloadState.PENDING:
        payload_process(payload_id=stored.payload.pk)
    if not verified:
        return json_error(403, "bad_signature", _("The signature does not match."))
    if body.truncated:
        return json_error(
            413,
            "payload_too_large",
            _("The body is larger than %(n)d bytes.") % {"n": settings.HERDESK_WEBHOOK_MAX_BYTES},
        )
    # Stored and processed (or quarantined for a human): either way WeChat must not retry.
    return HttpResponse("success", content_type="text/plain; charset=utf-8")

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
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from herdesk.inbound.webhooks import Body, Received, SignedWebhook, json_error, too_large

from .crypto import WeChatCryptoError, signature_ok
from .ingest import plaintext
from .parsing import ParseError, parse_message, parse_xml

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


def _query_verified(request: HttpRequest) -> bool:
    q = request.GET
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    return bool(timestamp and nonce) and signature_ok(
        q.get("signature", ""), settings.HERDESK_WECHAT_TOKEN, timestamp, nonce
    )


def _verify(request: HttpRequest, body: Body) -> tuple[str, dict[str, Any]]:
    """`signature` over (token, timestamp, nonce) and, in safe mode, `msg_signature` over the
    encrypted body as well."""
    q = request.GET
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    verified = _query_verified(request)
    meta: dict[str, Any] = {
        "mode": "aes" if q.get("encrypt_type") == "aes" else "plain",
        "query_verified": verified,
        "timestamp": timestamp[:20],
        "nonce": nonce[:64],
        "msg_signature": q.get("msg_signature", "")[:64],
        "openid": q.get("openid", "")[:64],
    }
    if not verified:
        # Quarantine reason: no signature at all = unknown source, a wrong one = bad signature.
        return ("mismatch" if q.get("signature") and timestamp and nonce else "missing"), meta
    if meta["mode"] == "aes" and not body.truncated:
        try:
            encrypted: str | None = parse_xml(body.raw).get("Encrypt", "")
        except ParseError:
            encrypted = None  # unreadable: stored, then quarantined as a parse error
        if encrypted is not None and not signature_ok(
            meta["msg_signature"], settings.HERDESK_WECHAT_TOKEN, timestamp, nonce, encrypted
        ):
            return "mismatch", meta
    return "", meta


def _respond(r: Received) -> HttpResponse:
    if (r.why and r.why != "truncated") or not r.meta.get("query_verified"):
        return json_error(403, "bad_signature", _("The signature does not match."))
    if r.truncated:
        return too_large()
    # Stored and processed (or quarantined for a human): either way WeChat must not retry.
    return HttpResponse("success", content_type="text/plain; charset=utf-8")


WECHAT_WEBHOOK = SignedWebhook(
    channel=CHANNEL,
    label="WeChat official account",
    source=lambda request: settings.HERDESK_WECHAT_APPID,
    verify=_verify,
    name=_name,
    missing_message=gettext_lazy("The signature does not match."),
    mismatch_message=gettext_lazy("The signature does not match."),
    respond=_respond,
)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # URL verification when the server address is configured
        if not _query_verified(request):
            return json_error(403, "bad_signature", _("The signature does not match."))
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain; charset=utf-8")
    return WECHAT_WEBHOOK.receive(request)

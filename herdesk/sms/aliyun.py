"""Aliyun (阿里云) SMS adapter: the `SendSms` RPC API (version 2017-05-25) over HTTPS.

Choose it with ``HERDESK_SMS_BACKEND = "herdesk.sms.aliyun.AliyunSmsBackend"`` and the settings
``HERDESK_ALIYUN_SMS_*`` (access key, sign name, endpoint, one filed template per purpose).

Signature (RPC signature version 1.0): the request parameters, sorted by name, percent-encoded per
RFC 3986 (space → %20, * → %2A, ~ kept) and joined with "&", form the canonicalised query; the
string to sign is ``GET&%2F&`` + percent-encode(canonicalised query); the signature is
base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

Providers in China send only filed templates, so each purpose maps to a template code whose
variable (``HERDESK_ALIYUN_SMS_TEMPLATE_PARAM``, default ``content``) receives our text. A purpose
may instead map to ``{"code": "SMS_123", "param": "code", "digits": true}``: then only the first run
of 4–8 digits of the text is sent (verification-code templates accept nothing else).

No database writes. Stdlib HTTP only (urllib), with a timeout. Errors raise `SmsError`: code
``sms_rejected`` when the provider refused the message for good (bad number, template, signature,
account), ``sms_failed`` when trying again later may work (network, throttling, provider errors).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.translation import gettext as _

from herdesk.common.pii import mask_phone

from .backends import SmsBackend, SmsError, SmsMessage

log = logging.getLogger("herdesk.sms.aliyun")

API_VERSION = "2017-05-25"
# Provider codes after which retrying is pointless (the message itself or the account is wrong).
PERMANENT = (
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_SIGN_ILLEGAL",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.INVALID_JSON_PARAM",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.OUT_OF_SERVICE",
    "isp.RAM_PERMISSION_DENY",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId.NotFound",
    "InvalidTimeStamp.Expired",
)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature expects (everything but A-Z a-z 0-9 - _ . ~)."""
    return quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The RPC v1 signature of `params` (without "Signature") under `secret`."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def provider_number(e164: str) -> str:
    """Mainland numbers without +86; others with their country code and no "+" (international SMS)."""
    if e164.startswith("+86"):
        return e164[3:]
    return e164.lstrip("+")


class AliyunSmsBackend(SmsBackend):
    """`SmsBackend` for Aliyun SMS. Settings are read on each send, so tests may override them."""

    def _template(self, purpose: str, text: str) -> tuple[str, dict[str, str]]:
        spec: Any = (settings.HERDESK_ALIYUN_SMS_TEMPLATES or {}).get(purpose)
        if not spec:
            raise SmsError(
                _("No Aliyun SMS template is configured for “%(purpose)s”.") % {"purpose": purpose},
                code="sms_rejected",
            )
        if isinstance(spec, str):
            return spec, {settings.HERDESK_ALIYUN_SMS_TEMPLATE_PARAM: text}
        param = spec.get("param") or settings.HERDESK_ALIYUN_SMS_TEMPLATE_PARAM
        value = text
        if spec.get("digits"):
            found = re.search(r"(?<!\d)\d{4,8}(?!\d)", text)
            if not found:
                raise SmsError(_("The text carries no verification code."), code="sms_rejected")
            value = found.group(0)
        return str(spec["code"]), {param: value}

    def params(
        self, message: SmsMessage, *, now: datetime | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        """The signed query parameters for one message (exposed for tests and troubleshooting)."""
        key_id = settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_ID
        secret = settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET
        sign_name = settings.HERDESK_ALIYUN_SMS_SIGN_NAME
        if not (key_id and secret and sign_name):
            raise SmsError(
                _("Aliyun SMS is not configured (access key, secret and sign name are required)."),
                code="sms_rejected",
            )
        template, variables = self._template(message.purpose, message.text)
        params = {
            "AccessKeyId": key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": provider_number(message.phone),
            "RegionId": settings.HERDESK_ALIYUN_SMS_REGION,
            "SignName": sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(variables, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        params["Signature"] = sign(params, secret)
        return params

    def send(self, message: SmsMessage) -> str:
        params = self.params(message)
        url = settings.HERDESK_ALIYUN_SMS_ENDPOINT.rstrip("/") + "/?" + canonical_query(params)
        request = Request(url, method="GET", headers={"Accept": "application/json"})
        status = 0
        try:
            with urlopen(request, timeout=settings.HERDESK_ALIYUN_SMS_TIMEOUT_SECONDS) as response:
                status = response.status
                body = response.read(65536)
        except HTTPError as exc:  # 4xx/5xx still carry the provider's JSON error
            status = exc.code
            body = exc.read(65536)
        except (URLError, TimeoutError, OSError) as exc:
            log.warning("aliyun sms to %s: network error %s", mask_phone(message.phone), exc)
            raise SmsError(
                _("The SMS provider could not be reached; it will be tried again."), code="sms_failed"
            )
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = {}
        code = str(data.get("Code") or "")
        if status == 200 and code == "OK":
            biz_id = str(data.get("BizId") or data.get("RequestId") or "")
            log.info("aliyun sms to %s [%s] accepted: %s", mask_phone(message.phone), message.purpose, biz_id)
            return biz_id
        text = str(data.get("Message") or "")[:200]
        log.warning(
            "aliyun sms to %s refused: HTTP %s %s %s (request %s)",
            mask_phone(message.phone),
            status,
            code or "-",
            text,
            data.get("RequestId", "-"),
        )
        permanent = code in PERMANENT or (400 <= status < 500 and status != 429 and code != "Throttling")
        raise SmsError(
            _("The SMS provider refused the message: %(code)s %(message)s")
            % {"code": code or status, "message": text},
            code="sms_rejected" if permanent else "sms_failed",
        )

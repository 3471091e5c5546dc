"""Client of the official-account API: the access token (GET /cgi-bin/token) and the
customer-service message (POST /cgi-bin/message/custom/send). Stdlib HTTP (urllib) with timeouts;
the base URL is a setting (HERDESK_WECHAT_API_BASE) so tests talk to a loopback server."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .choices import TOKEN_ERRORS
from .models import AccessToken

log = logging.getLogger("herdesk.wechat")
TIMEOUT = 10.0
# Refresh this long before WeChat says the token expires (clock skew, in-flight requests).
EARLY = timedelta(minutes=5)


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def _call(
    method: str, path: str, params: dict[str, str], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    url = settings.HERDESK_WECHAT_API_BASE.rstrip("/") + path + "?" + urlencode(params)
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else {}
    request = Request(url, data=data, method=method, headers=headers)
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read(65536)
    except HTTPError as exc:
        raise WeChatApiError(-exc.code, f"HTTP {exc.code}")
    except (URLError, TimeoutError, OSError) as exc:
        raise WeChatApiError(-1, f"unreachable: {exc}")
    try:
        result = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise WeChatApiError(-2, "response is not JSON")
    if not isinstance(result, dict):
        raise WeChatApiError(-2, "response is not a JSON object")
    errcode = int(result.get("errcode") or 0)
    if errcode:
        raise WeChatApiError(errcode, str(result.get("errmsg", ""))[:200])
    return result


@transaction.atomic
def access_token(*, force: bool = False, now: datetime | None = None) -> str:
    """A valid access token for HERDESK_WECHAT_APPID, fetched only when the stored one is stale.

    Locks the token row (SELECT … FOR UPDATE), so concurrent workers fetch once. Raises
    WeChatApiError (e.g. 40013 invalid appid, 40125 invalid secret, 40164 IP not whitelisted).
    """
    now = now or timezone.now()
    appid = settings.HERDESK_WECHAT_APPID
    AccessToken.objects.get_or_create(appid=appid)
    row = AccessToken.objects.select_for_update().get(appid=appid)
    if not force and row.token and row.expires_at and row.expires_at - EARLY > now:
        return row.token
    result = _call(
        "GET",
        "/cgi-bin/token",
        {"grant_type": "client_credential", "appid": appid, "secret": settings.HERDESK_WECHAT_APPSECRET},
    )
    token = str(result.get("access_token") or "")
    if not token:
        raise WeChatApiError(-2, "no access_token in the response")
    row.token = token
    row.expires_at = now + timedelta(seconds=int(result.get("expires_in") or 7200))
    row.refreshed_at = now
    row.save(update_fields=["token", "expires_at", "refreshed_at"])
    log.info("wechat: access token refreshed for %s", appid)
    return token


def send_text(*, openid: str, text: str) -> None:
    """Send a customer-service text message (allowed within 48 hours of the user's last message;
    outside that window WeChat answers 45015, which the caller records as a failed delivery)."""
    body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    token = access_token()
    try:
        _call("POST", "/cgi-bin/message/custom/send", {"access_token": token}, body)
    except WeChatApiError as exc:
        if exc.errcode not in TOKEN_ERRORS:
            raise
        # The token was retired early (another system refreshed it): fetch a new one, retry once.
        _call("POST", "/cgi-bin/message/custom/send", {"access_token": access_token(force=True)}, body)

"""The Aliyun SMS adapter against a loopback server that checks the RPC v1 signature the way the
real API does (its own implementation below) and answers like it (OK and error codes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from herdesk.sms import aliyun
from herdesk.sms.backends import SmsError, SmsMessage

KEY_ID, SECRET = "LTAI-test-key", "test-secret-0123"


def _server_signature(query: list[tuple[str, str]], secret: str) -> str:
    """Written from the API documentation, independently of the adapter's code."""

    def enc(s: str) -> str:
        return urllib.parse.quote(s, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    pairs = sorted((k, v) for k, v in query if k != "Signature")
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
    to_sign = "GET&%2F&" + enc(canonical)
    return base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()


class FakeAliyun(BaseHTTPRequestHandler):
    seen_nonces: set[str] = set()
    requests: list[dict[str, str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        q = dict(query)
        self.requests.append(q)
        rid = f"req-{len(self.requests)}"
        if q.get("AccessKeyId") != KEY_ID:
            return self._answer(
                404,
                {
                    "Code": "InvalidAccessKeyId.NotFound",
                    "Message": "Specified access key is not found.",
                    "RequestId": rid,
                },
            )
        if q.get("Signature") != _server_signature(query, SECRET):
            return self._answer(
                400,
                {
                    "Code": "SignatureDoesNotMatch",
                    "Message": "Specified signature is not matched with our calculation.",
                    "RequestId": rid,
                },
            )
        if q["SignatureNonce"] in self.seen_nonces:
            return self._answer(
                400,
                {
                    "Code": "SignatureNonceUsed",
                    "Message": "Specified signature nonce was used already.",
                    "RequestId": rid,
                },
            )
        self.seen_nonces.add(q["SignatureNonce"])
        ts = datetime.strptime(q["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - ts).total_seconds()) > 900:
            return self._answer(
                400,
                {
                    "Code": "InvalidTimeStamp.Expired",
                    "Message": "Specified time stamp or date value is expired.",
                    "RequestId": rid,
                },
            )
        assert (q["Action"], q["Version"], q["Format"], q["SignatureMethod"]) == (
            "SendSms",
            "2017-05-25",
            "JSON",
            "HMAC-SHA1",
        )
        phone = q["PhoneNumbers"]
        if phone == "13800000000":
            return self._answer(
                200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": rid}
            )
        if phone == "13900000000":
            return self._answer(
                200,
                {
                    "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    "Message": "触发分钟级流控Permits:1",
                    "RequestId": rid,
                },
            )
        if phone == "13700000000":
            return self._answer(
                500,
                {
                    "Code": "InternalError",
                    "Message": "The request processing has failed due to some unknown error.",
                    "RequestId": rid,
                },
            )
        return self._answer(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "BizId": f"900619746936498440^{len(self.requests)}",
                "RequestId": rid,
            },
        )


@pytest.fixture
def fake_aliyun(settings) -> Iterator[type[FakeAliyun]]:
    FakeAliyun.seen_nonces = set()
    FakeAliyun.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAliyun)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HERDESK_ALIYUN_SMS_ENDPOINT = f"http://127.0.0.1:{server.server_address[1]}/"
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.HERDESK_ALIYUN_SMS_SIGN_NAME = "牧服"
    settings.HERDESK_ALIYUN_SMS_TEMPLATES = {
        "ticket_ack": "SMS_100001",
        "login_code": {"code": "SMS_100002", "param": "code", "digits": True},
    }
    settings.HERDESK_ALIYUN_SMS_TIMEOUT_SECONDS = 5
    try:
        yield FakeAliyun
    finally:
        server.shutdown()
        server.server_close()


def _msg(
    phone: str = "+8613812348000",
    text: str = "您的服务请求 FW-20260310-0001 已受理，预计 30 分钟内回复。",
    purpose: str = "ticket_ack",
) -> SmsMessage:
    return SmsMessage(phone=phone, text=text, purpose=purpose)


def test_signature_matches_the_documented_example():
    # The worked example of Aliyun's SMS API documentation (HTTP protocol and signature).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun.sign(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_follows_rfc3986():
    assert aliyun.percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert aliyun.percent_encode("牧") == "%E7%89%A7"


def test_send_is_signed_and_accepted(fake_aliyun):
    biz_id = aliyun.AliyunSmsBackend().send(_msg())
    assert biz_id == "900619746936498440^1"
    q = fake_aliyun.requests[-1]
    assert (
        q["PhoneNumbers"] == "13812348000" and q["SignName"] == "牧服" and q["TemplateCode"] == "SMS_100001"
    )
    assert json.loads(q["TemplateParam"]) == {"content": _msg().text}


def test_login_code_template_sends_only_the_digits(fake_aliyun):
    aliyun.AliyunSmsBackend().send(_msg(text="您的登录验证码为 482913，5 分钟内有效。", purpose="login_code"))
    q = fake_aliyun.requests[-1]
    assert q["TemplateCode"] == "SMS_100002" and json.loads(q["TemplateParam"]) == {"code": "482913"}


def test_through_the_sms_interface(fake_aliyun, settings):
    from herdesk.sms.services import send_sms

    settings.HERDESK_SMS_BACKEND = "herdesk.sms.aliyun.AliyunSmsBackend"
    result = send_sms(phone="138 1234 8000", text="进度：工程师明天上午到场。", purpose="ticket_ack")
    assert result.phone == "+8613812348000" and result.message_id.startswith("900619746936498440^")


def test_international_numbers_keep_their_country_code(fake_aliyun):
    aliyun.AliyunSmsBackend().send(_msg(phone="+85291234567"))
    assert fake_aliyun.requests[-1]["PhoneNumbers"] == "85291234567"


@pytest.mark.parametrize(
    ("phone", "code", "provider_code"),
    [
        ("+8613800000000", "sms_rejected", "isv.MOBILE_NUMBER_ILLEGAL"),
        ("+8613900000000", "sms_failed", "isv.BUSINESS_LIMIT_CONTROL"),  # throttled: retry later
        ("+8613700000000", "sms_failed", "InternalError"),
    ],
)
def test_provider_errors_become_sms_errors(fake_aliyun, phone, code, provider_code):
    with pytest.raises(SmsError) as exc:
        aliyun.AliyunSmsBackend().send(_msg(phone=phone))
    assert exc.value.code == code and provider_code in exc.value.message


def test_wrong_secret_is_refused_by_the_signature_check(fake_aliyun, settings):
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    with pytest.raises(SmsError) as exc:
        aliyun.AliyunSmsBackend().send(_msg())
    assert exc.value.code == "sms_rejected" and "SignatureDoesNotMatch" in exc.value.message


def test_unknown_key_and_missing_configuration(fake_aliyun, settings):
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-other"
    with pytest.raises(SmsError) as exc:
        aliyun.AliyunSmsBackend().send(_msg())
    assert "InvalidAccessKeyId.NotFound" in exc.value.message
    with pytest.raises(SmsError) as exc:
        aliyun.AliyunSmsBackend().send(_msg(purpose="notice"))  # no template filed for it
    assert exc.value.code == "sms_rejected"
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET = ""
    with pytest.raises(SmsError):
        aliyun.AliyunSmsBackend().send(_msg())


def test_unreachable_provider_is_a_retryable_error(settings):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    settings.HERDESK_ALIYUN_SMS_ENDPOINT = f"http://127.0.0.1:{port}/"
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.HERDESK_ALIYUN_SMS_SIGN_NAME = "牧服"
    settings.HERDESK_ALIYUN_SMS_TEMPLATES = {"ticket_ack": "SMS_1"}
    with pytest.raises(SmsError) as exc:
        aliyun.AliyunSmsBackend().send(_msg())
    assert exc.value.code == "sms_failed"


def test_each_request_has_a_fresh_nonce(fake_aliyun):
    backend = aliyun.AliyunSmsBackend()
    backend.send(_msg())
    backend.send(_msg())
    nonces = [r["SignatureNonce"] for r in fake_aliyun.requests]
    assert len(set(nonces)) == 2

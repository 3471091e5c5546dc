"""The official-account callback end to end: URL verification, plaintext and safe-mode pushes →
stored raw → tickets by openid; duplicates, bad signatures, wrong keys, odd types, oversized."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from django.test import Client

from herdesk.clocks.models import Clock
from herdesk.customers.models import Contact
from herdesk.inbound.models import InboundPayload
from herdesk.tickets.models import Ticket
from herdesk.wechat.crypto import MessageCrypt, sha1_signature

URL = "/wechat/callback"
OPENID = "oABCDEF-openid-0001"


def _xml(
    msg_type: str = "text", msg_id: str = "6054768590064713728", openid: str = OPENID, **fields: str
) -> bytes:
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    mid = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName><![CDATA[gh_herdesk]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time()) - 5}</CreateTime>"
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>{extra}{mid}</xml>"
    ).encode()


def _query(token: str, **extra: str) -> str:
    ts, nonce = str(int(time.time())), "n0nce"
    return urlencode(
        {"signature": sha1_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}
    )


def push(body: bytes, *, token: str | None = None, query: str | None = None):
    from django.conf import settings

    q = query or _query(token or settings.HERDESK_WECHAT_TOKEN, openid=OPENID)
    return Client().post(f"{URL}?{q}", body, content_type="text/xml")


def push_safe(xml: bytes, *, key: str | None = None, appid: str | None = None, tamper: bool = False):
    from django.conf import settings

    crypt = MessageCrypt(
        token=settings.HERDESK_WECHAT_TOKEN,
        encoding_aes_key=key or settings.HERDESK_WECHAT_ENCODING_AES_KEY,
        appid=appid or settings.HERDESK_WECHAT_APPID,
    )
    encrypted = crypt.encrypt(xml)
    ts, nonce = str(int(time.time())), "s4fe"
    msg_sig = crypt.msg_signature(ts, nonce, encrypted)
    if tamper:
        msg_sig = "0" * 40
    q = urlencode(
        {
            "signature": sha1_signature(settings.HERDESK_WECHAT_TOKEN, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": OPENID,
            "encrypt_type": "aes",
            "msg_signature": msg_sig,
        }
    )
    body = f"<xml><ToUserName>gh_herdesk</ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return Client().post(f"{URL}?{q}", body.encode(), content_type="text/xml")


def test_url_verification_echoes_only_for_a_valid_signature(db, settings):
    ok = Client().get(f"{URL}?{_query(settings.HERDESK_WECHAT_TOKEN, echostr='echo-42')}")
    assert ok.status_code == 200 and ok.content == b"echo-42"
    bad = Client().get(f"{URL}?{_query('another-token', echostr='echo-42')}")
    assert bad.status_code == 403 and bad.json()["code"] == "bad_signature"


def test_text_message_opens_a_wechat_ticket_for_a_new_follower(reference):
    r = push(_xml(Content="奶粉罐里有结块，还能喝吗？"))
    assert r.status_code == 200 and r.content == b"success"
    ticket = Ticket.objects.get()
    assert ticket.channel == "wechat" and ticket.description == "奶粉罐里有结块，还能喝吗？"
    assert Contact.objects.get(wechat_openid=OPENID).customer == ticket.customer
    # Primary channel: first response within 30 minutes on the hotline calendar (seed-000).
    assert Clock.objects.get(ticket=ticket, kind="first_response").target == "30m"
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.external_id == "6054768590064713728" and payload.state == "processed"
    # The follow-up joins the same ticket (INT-8), images and voice included.
    push(_xml("image", msg_id="2", PicUrl="https://mmbiz.qpic.cn/x.jpg", MediaId="m1"))
    push(_xml("voice", msg_id="3", MediaId="m2", Format="amr", Recognition="是昨天买的"))
    assert Ticket.objects.count() == 1
    bodies = list(
        ticket.interactions.filter(direction="inbound").order_by("id").values_list("body", flat=True)
    )
    assert bodies[1].endswith("https://mmbiz.qpic.cn/x.jpg") and bodies[2].endswith("是昨天买的")
    assert ticket.interactions.filter(data__wechat__media_id="m2").exists()


def test_wechat_retries_create_nothing_twice(reference):
    body = _xml(Content="在吗")
    for _ in range(3):
        assert push(body).content == b"success"
    assert Ticket.objects.count() == 1
    assert InboundPayload.objects.get(channel="wechat").deliveries == 3


def test_subscribe_makes_a_customer_but_no_ticket(reference):
    r = push(_xml("event", msg_id="", Event="subscribe"))
    assert r.content == b"success"
    assert Contact.objects.filter(wechat_openid=OPENID).exists() and not Ticket.objects.exists()
    assert InboundPayload.objects.get(channel="wechat").result["outcome"] == "ignored"


def test_unknown_message_types_are_quarantined_not_lost(reference):
    r = push(_xml("miniprogrampage", msg_id="77", Title="x"))
    assert r.content == b"success"  # stored: WeChat must not retry
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.state == "quarantined" and "miniprogrampage" in payload.reason
    assert not Ticket.objects.exists()


def test_bad_signature_is_403_and_the_body_is_kept(reference):
    body = _xml(Content="伪造")  # once: its CreateTime is the clock's second
    r = push(body, token="attacker-token")
    assert r.status_code == 403 and r.json()["code"] == "bad_signature"
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.state == "quarantined" and payload.reason_code == "bad_signature"
    assert payload.external_id == ""  # it cannot claim a MsgId
    assert bytes(payload.raw) == body  # the forgery is kept as evidence
    assert not Ticket.objects.exists()


def test_unsigned_push_is_403_and_kept_as_unknown_source(reference):
    r = push(_xml(Content="无签名"), query=urlencode({"openid": OPENID}))
    assert r.status_code == 403
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.state == "quarantined" and payload.reason_code == "unknown_source"
    assert not Ticket.objects.exists()


def test_safe_mode_message_becomes_a_ticket(reference):
    r = push_safe(_xml(Content="安全模式消息"))
    assert r.status_code == 200 and r.content == b"success"
    assert Ticket.objects.get().description == "安全模式消息"
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.external_id == "6054768590064713728" and b"<Encrypt>" in bytes(payload.raw)


def test_safe_mode_retry_reencrypted_is_still_one_message(reference):
    xml = _xml(Content="重发")
    push_safe(xml)
    push_safe(xml)  # the same message re-encrypted: new random prefix, new nonce
    assert Ticket.objects.count() == 1
    states = sorted(InboundPayload.objects.filter(channel="wechat").values_list("state", flat=True))
    assert states == ["duplicate", "processed"]


def test_wrong_aes_key_or_appid_is_quarantined(reference):
    push_safe(_xml(Content="x", msg_id="1"), key="Z" * 43)
    push_safe(_xml(Content="y", msg_id="2"), appid="wx-someone-else")
    payloads = InboundPayload.objects.filter(channel="wechat")
    assert [p.state for p in payloads] == ["quarantined", "quarantined"]
    assert all("EncodingAESKey" in p.reason for p in payloads)
    assert not Ticket.objects.exists()


def test_bad_msg_signature_is_403(reference):
    r = push_safe(_xml(Content="x"), tamper=True)
    assert r.status_code == 403
    assert InboundPayload.objects.get(channel="wechat").reason_code == "bad_signature"


def test_official_safe_mode_sample_through_the_callback(reference, settings):
    from herdesk.wechat.tests.test_crypto import SAMPLE_ENCRYPT

    settings.HERDESK_WECHAT_TOKEN = "spamtest"
    settings.HERDESK_WECHAT_APPID = "wx2c2769f8efd9abc2"
    settings.HERDESK_WECHAT_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    ts, nonce = "1409735669", "1320562132"
    q = urlencode(
        {
            "signature": sha1_signature("spamtest", ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
        }
    )
    body = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
    )
    r = Client().post(f"{URL}?{q}", body.encode(), content_type="text/xml")
    assert r.content == b"success"
    ticket = Ticket.objects.get()
    assert ticket.description == "abcdteT"
    assert ticket.customer.contacts.get().wechat_openid == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"<xml><broken>", b'<!DOCTYPE x [<!ENTITY a "a">]><xml><MsgType>&a;</MsgType></xml>'],
)
def test_malformed_bodies_are_quarantined(reference, body):
    r = push(body)
    assert r.status_code == 200
    assert not Ticket.objects.exists()
    if body:
        payload = InboundPayload.objects.get(channel="wechat")
        assert payload.state == "quarantined" and bytes(payload.raw) == body


def test_oversized_push_is_413_and_kept(reference, settings):
    settings.HERDESK_WEBHOOK_MAX_BYTES = 1024
    r = push(_xml(Content="长" * 2000))
    assert r.status_code == 413
    payload = InboundPayload.objects.get(channel="wechat")
    assert payload.size == 1024 and payload.state == "quarantined"

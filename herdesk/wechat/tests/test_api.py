"""Replies through the customer-service message API, against a loopback server implementing
GET /cgi-bin/token and POST /cgi-bin/message/custom/send the way WeChat does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from herdesk.clocks.models import Clock
from herdesk.notifications.models import OutboxMessage
from herdesk.notifications.services import outbox_dispatch
from herdesk.wechat import client
from herdesk.wechat.models import AccessToken
from herdesk.wechat.services import wechat_reply_send

APPID, SECRET = "wx-test-app", "s3cret"


class FakeWeChat(BaseHTTPRequestHandler):
    tokens_issued: list[str] = []
    retired: set[str] = set()
    sent: list[dict] = []
    raw_bodies: list[bytes] = []

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, data: dict) -> None:
        body = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/cgi-bin/token":
            return self._json({"errcode": 404, "errmsg": "no such api"})
        if q.get("grant_type") != "client_credential" or q.get("appid") != APPID:
            return self._json({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != SECRET:
            return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"ACCESS_TOKEN_{len(self.tokens_issued) + 1}"
        self.tokens_issued.append(token)
        self._json({"access_token": token, "expires_in": 7200})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.raw_bodies.append(raw)
        if url.path != "/cgi-bin/message/custom/send":
            return self._json({"errcode": 404, "errmsg": "no such api"})
        token = q.get("access_token", "")
        if token in self.retired:
            return self._json({"errcode": 42001, "errmsg": "access_token expired"})
        if not self.tokens_issued or token != self.tokens_issued[-1]:
            return self._json({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        body = json.loads(raw)
        if body.get("touser") == "o-silent-for-3-days":
            return self._json(
                {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
            )
        if body.get("msgtype") != "text" or not body.get("text", {}).get("content"):
            return self._json({"errcode": 44002, "errmsg": "empty post data"})
        self.sent.append(body)
        self._json({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def wechat_api(settings) -> Iterator[type[FakeWeChat]]:
    FakeWeChat.tokens_issued, FakeWeChat.retired, FakeWeChat.sent, FakeWeChat.raw_bodies = [], set(), [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HERDESK_WECHAT_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.HERDESK_WECHAT_APPID = APPID
    settings.HERDESK_WECHAT_APPSECRET = SECRET
    try:
        yield FakeWeChat
    finally:
        server.shutdown()
        server.server_close()


def test_access_token_is_fetched_once_and_stored_encrypted(db, wechat_api):
    assert client.access_token() == "ACCESS_TOKEN_1"
    assert client.access_token() == "ACCESS_TOKEN_1"
    assert wechat_api.tokens_issued == ["ACCESS_TOKEN_1"]
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT token FROM wechat_accesstoken")
        (stored,) = cur.fetchone()
    assert "ACCESS_TOKEN_1" not in stored  # encrypted at rest
    # Near expiry it is refreshed.
    AccessToken.objects.update(expires_at=timezone.now() + timedelta(minutes=2))
    assert client.access_token() == "ACCESS_TOKEN_2"


def test_wrong_secret_is_a_clear_api_error(db, wechat_api, settings):
    settings.HERDESK_WECHAT_APPSECRET = "nope"
    with pytest.raises(client.WeChatApiError) as exc:
        client.access_token()
    assert exc.value.errcode == 40125


def test_send_text_refreshes_a_retired_token_once(db, wechat_api):
    client.send_text(openid="o1", text="您好")
    wechat_api.retired.add("ACCESS_TOKEN_1")  # e.g. another system fetched a new token
    client.send_text(openid="o1", text="第二条")
    assert [m["text"]["content"] for m in wechat_api.sent] == ["您好", "第二条"]
    assert "第二条".encode() in wechat_api.raw_bodies[-1]  # UTF-8, not \\u escapes
    assert wechat_api.tokens_issued == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]


def _wechat_ticket(reference, agent):
    from herdesk.customers.services import customer_create
    from herdesk.tickets.services import ticket_create

    customer = customer_create(name="微信用户", wechat_openid="o-farmer-1")
    ticket = ticket_create(
        actor=None,
        customer=customer,
        contact=customer.contacts.get(),
        channel="wechat",
        problem_type="product_inquiry",
        subject="奶粉结块",
        received_at=timezone.now() - timedelta(minutes=3),
    )
    return ticket


def test_agent_reply_goes_out_through_the_outbox(reference, staff, wechat_api):
    agent = staff["agent1"]
    ticket = _wechat_ticket(reference, agent)
    interaction = wechat_reply_send(ticket=ticket, actor=agent, body="请将奶粉密封后放阴凉处。")
    assert wechat_api.sent == []  # nothing leaves inside the request
    msg = OutboxMessage.objects.get(channel="wechat")
    assert msg.recipient == "o-farmer-1"
    # The human reply stops the 30-minute first-response clock (INT-2).
    assert Clock.objects.get(ticket=ticket, kind="first_response").state == "met"
    assert outbox_dispatch() == {"sent": 1, "failed": 0}
    assert wechat_api.sent == [
        {"touser": "o-farmer-1", "msgtype": "text", "text": {"content": "请将奶粉密封后放阴凉处。"}}
    ]
    interaction.refresh_from_db()
    assert interaction.data["delivery"]["status"] == "sent"


def test_refused_delivery_is_retried_and_recorded(reference, staff, wechat_api):
    from herdesk.customers.services import customer_create
    from herdesk.tickets.services import ticket_create

    agent = staff["agent1"]
    customer = customer_create(name="沉默用户", wechat_openid="o-silent-for-3-days")
    ticket = ticket_create(
        actor=None, customer=customer, channel="wechat", problem_type="product_inquiry", subject="x"
    )
    interaction = wechat_reply_send(ticket=ticket, actor=agent, body="您好")
    assert outbox_dispatch() == {"sent": 0, "failed": 1}
    msg = OutboxMessage.objects.get(channel="wechat")
    assert msg.status == "pending" and "45015" in msg.last_error
    interaction.refresh_from_db()
    assert interaction.data["delivery"]["status"] == "retrying"
    assert "45015" in interaction.data["delivery"]["error"]


def test_reply_needs_text_and_an_openid(reference, staff, customer):
    from django.core.exceptions import ValidationError

    from herdesk.tickets.services import ticket_create

    ticket = ticket_create(
        actor=None, customer=customer, channel="wechat", problem_type="product_inquiry", subject="x"
    )
    with pytest.raises(ValidationError) as exc:
        wechat_reply_send(ticket=ticket, actor=staff["agent1"], body="")
    assert set(exc.value.message_dict) == {"body", "ticket"}

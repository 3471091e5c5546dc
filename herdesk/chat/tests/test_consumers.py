"""The chat protocol against the real ASGI application (config.asgi), through channels.testing.

Transactional tests: the consumers reach the database from worker threads, and events are published
after commit."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from config.asgi import application
from herdesk.chat.models import ChatMessage, Conversation
from herdesk.chat.tests.wstest import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://testserver")


def _session_cookie(user: Any) -> tuple[bytes, bytes]:
    from django.test import Client

    c = Client()
    c.force_login(user)
    return (b"cookie", f"sessionid={c.cookies['sessionid'].value}".encode())


def _comm(path: str = "/ws/chat/", headers: list | None = None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=[ORIGIN, *(headers or [])])


async def _recv_until(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict:
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] == kind:
            return frame


async def _open_customer(
    name: str = "王五", phone: str = "13700001234"
) -> tuple[WebsocketCommunicator, dict]:
    comm = _comm()
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "lang": "en"})
    welcome = await comm.receive_json_from()
    assert welcome["type"] == "welcome" and welcome["service_open"] is True
    assert welcome["strings"]["send"] == "Send"
    await comm.send_json_to({"type": "open", "name": name, "phone": phone, "page": "https://shop.example/"})
    joined = await _recv_until(comm, "joined")
    return comm, joined


def test_customer_and_agent_talk_and_the_transcript_lands_on_a_ticket(reference, agent):
    cookie = _session_cookie(agent)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        assert joined["status"] == "waiting" and joined["token"]
        console = _comm("/ws/chat/agent/", [cookie])
        assert (await console.connect())[0]
        snapshot = await console.receive_json_from()
        assert snapshot["type"] == "queue_snapshot"
        assert [c["conversation"] for c in snapshot["conversations"]] == [joined["conversation"]]

        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "挤奶机不出奶"})
        frames = [await cust.receive_json_from(), await cust.receive_json_from()]
        ack = next(f for f in frames if f["type"] == "ack")
        assert ack == {"type": "ack", "client_id": "c-1", "seq": 1, "duplicate": False}
        queued = await _recv_until(console, "queue")
        assert queued["preview"] == "挤奶机不出奶" and "phone" not in queued

        conv_id = joined["conversation"]
        await console.send_json_to({"type": "accept", "conversation": conv_id})
        accepted = await _recv_until(console, "accepted")
        assert accepted["agent"] == str(agent)
        context = await _recv_until(console, "context")
        assert context["customer"]["name"] == "王五" and context["customer"]["identity"] == "phone"
        history = await _recv_until(console, "history")
        assert [m["body"] for m in history["messages"]] == ["挤奶机不出奶"]
        status = await _recv_until(cust, "status")
        assert status["status"] == "active" and status["agent"] == str(agent)

        await console.send_json_to(
            {"type": "message", "conversation": conv_id, "client_id": "a-1", "body": "请检查真空泵"}
        )
        got = await _recv_until(cust, "message")
        assert got["body"] == "请检查真空泵" and got["sender"] == "agent" and got["seq"] == 2
        await console.send_json_to(
            {"type": "convert", "conversation": conv_id, "problem_type": "technical_support"}
        )
        ticket = await _recv_until(console, "ticket")
        await console.send_json_to({"type": "close", "conversation": conv_id})
        closed = await _recv_until(cust, "status")
        assert closed["status"] == "closed" and closed["ticket"] == ticket["ticket"]
        await cust.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()
    conv = Conversation.objects.get()
    assert conv.ticket.problem_type == "technical_support"
    assert conv.ticket.interactions.filter(data__transcript=True).count() == 1


def test_reconnect_resend_and_history_lose_nothing(reference, agent):
    cookie = _session_cookie(agent)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        token, conv_id = joined["token"], joined["conversation"]
        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "第一条"})
        await _recv_until(cust, "ack")
        await cust.disconnect()  # the phone went into a tunnel

        console = _comm("/ws/chat/agent/", [cookie])
        await console.connect()
        await console.send_json_to({"type": "accept", "conversation": conv_id})
        await _recv_until(console, "history")
        await console.send_json_to(
            {"type": "message", "conversation": conv_id, "client_id": "a-1", "body": "您好"}
        )
        await _recv_until(console, "ack")

        back = _comm()
        await back.connect()
        # The widget resumes with its token and the last sequence number it saw …
        await back.send_json_to({"type": "hello", "token": token, "after_seq": 1})
        rejoined = await back.receive_json_from()
        assert rejoined["type"] == "joined" and rejoined["status"] == "active" and rejoined["last_seq"] == 2
        history = await back.receive_json_from()
        assert [(m["seq"], m["body"]) for m in history["messages"]] == [(2, "您好")]
        # … and resends what it never saw acknowledged; a duplicate is acknowledged, not stored twice.
        await back.send_json_to({"type": "message", "client_id": "c-1", "body": "第一条"})
        ack = await _recv_until(back, "ack")
        assert ack == {"type": "ack", "client_id": "c-1", "seq": 1, "duplicate": True}
        await back.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()
    assert ChatMessage.objects.count() == 2


def test_a_customer_socket_sees_only_its_own_conversation(reference, agent):
    async def scenario() -> None:
        alice, ja = await _open_customer("甲", "13700000001")
        bob, jb = await _open_customer("乙", "13700000002")
        assert ja["conversation"] != jb["conversation"]
        await alice.send_json_to({"type": "message", "client_id": "x", "body": "甲的秘密"})
        await _recv_until(alice, "ack")
        assert await bob.receive_nothing(timeout=0.3)

        # Forged tokens and garbage are refused: a token signed with SECRET_KEY for Bob's
        # conversation (the old format: tokens are random and stored hashed since issue #14),
        # Alice's token altered, a random one in the right format.
        from django.core import signing

        forged = signing.dumps({"c": jb["conversation"]}, salt="herdesk.chat.conversation", compress=False)
        altered = ja["token"][:-2] + ("AA" if not ja["token"].endswith("AA") else "BB")
        for token in (forged, altered, "hct_" + "A" * 43, "garbage", str(uuid.uuid4())):
            probe = _comm()
            await probe.connect()
            await probe.send_json_to({"type": "hello", "token": token, "after_seq": 0})
            err = await probe.receive_json_from()
            assert err["type"] == "error" and err["code"] == "bad_token"
            welcome = await probe.receive_json_from()
            assert welcome["type"] == "welcome"  # a fresh start, nothing of anybody else's
            await probe.send_json_to({"type": "resume", "after_seq": 0})
            assert (await probe.receive_json_from())["code"] == "no_conversation"
            await probe.disconnect()
        # Bob's socket never received Alice's message, and his history holds only his own.
        await bob.send_json_to({"type": "resume", "after_seq": 0})
        history = await _recv_until(bob, "history")
        assert history["messages"] == []
        await alice.disconnect()
        await bob.disconnect()

    async_to_sync(scenario)()


def test_bad_frames_get_errors_and_the_socket_survives(reference):
    async def scenario() -> None:
        cust, _ = await _open_customer()
        cases = [
            ("not json", "invalid_json"),
            ("[1,2]", "bad_frame"),
            ('{"type": "launch_missiles"}', "unknown_type"),
            (json.dumps({"type": "message", "client_id": "c", "body": "x" * 2001}), "validation_error"),
            (json.dumps({"type": "message", "client_id": "", "body": "hi"}), "validation_error"),
            ("x" * 20000, "frame_too_large"),
        ]
        for raw, code in cases:
            await cust.send_to(text_data=raw)
            frame = await cust.receive_json_from()
            assert frame["type"] == "error" and frame["code"] == code, (raw[:30], frame)
            assert frame["message"]
        await cust.send_to(bytes_data=b"\x00\x01")
        assert (await cust.receive_json_from())["code"] == "bad_frame"
        await cust.send_json_to({"type": "message", "client_id": "ok", "body": "still here"})
        assert (await _recv_until(cust, "ack"))["seq"] == 1
        await cust.disconnect()

    async_to_sync(scenario)()


def test_open_with_bad_fields_reports_them(reference):
    async def scenario() -> None:
        comm = _comm()
        await comm.connect()
        await comm.send_json_to({"type": "hello", "lang": "en"})
        await comm.receive_json_from()
        await comm.send_json_to({"type": "open", "name": "", "phone": "12"})
        err = await comm.receive_json_from()
        assert err["code"] == "validation_error"
        assert {e["field"] for e in err["errors"]} == {"name", "phone"}
        await comm.disconnect()

    async_to_sync(scenario)()
    assert not Conversation.objects.exists()


def test_agent_socket_requires_a_signed_in_agent(reference, customer, django_user_model):
    portal_user = django_user_model.objects.create_user(username="cust", password="x" * 10, customer=customer)
    cookie = _session_cookie(portal_user)

    async def scenario() -> None:
        for headers in ([], [cookie]):
            comm = _comm("/ws/chat/agent/", headers)
            connected, code = await comm.connect()
            assert not connected and code == 4403
        # A foreign origin is refused before any consumer runs (cross-site WebSocket hijacking).
        evil = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"https://evil.example")])
        connected, _ = await evil.connect()
        assert not connected

    async_to_sync(scenario)()


def test_portal_customer_is_recognised_on_the_widget(reference, customer, django_user_model):
    portal_user = django_user_model.objects.create_user(username="cust", password="x" * 10, customer=customer)
    cookie = _session_cookie(portal_user)

    async def scenario() -> None:
        comm = _comm(headers=[cookie])
        await comm.connect()
        await comm.send_json_to({"type": "hello"})
        welcome = await comm.receive_json_from()
        assert welcome["portal_customer"] == "张三"
        await comm.send_json_to({"type": "open"})
        joined = await _recv_until(comm, "joined")
        assert joined["name"] == "张三"
        await comm.disconnect()

    async_to_sync(scenario)()
    assert Conversation.objects.get().identity == "portal"


def test_waiting_past_the_deadline_turns_into_message_taking(reference, settings):
    settings.HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS = 0

    async def scenario() -> None:
        cust, _joined = await _open_customer()
        await cust.send_json_to({"type": "check"})
        status = await _recv_until(cust, "status")
        assert status["status"] == "offline" and status["offline_reason"] == "no_agent"
        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "请回电"})
        await _recv_until(cust, "ack")
        await cust.disconnect()

    async_to_sync(scenario)()
    conv = Conversation.objects.get()
    assert conv.ticket is not None and conv.ticket.description == "请回电"


def test_two_agents_accepting_at_once_one_wins(reference, agent, agent2):
    cookie_a, cookie_b = _session_cookie(agent), _session_cookie(agent2)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        a = _comm("/ws/chat/agent/", [cookie_a])
        b = _comm("/ws/chat/agent/", [cookie_b])
        await a.connect()
        await b.connect()
        frame = {"type": "accept", "conversation": joined["conversation"]}
        await a.send_json_to(frame)
        await b.send_json_to(frame)
        results = []
        for comm in (a, b):
            while True:
                f = await comm.receive_json_from()
                if f["type"] in ("accepted", "error"):
                    results.append(f["type"])
                    break
        assert sorted(results) == ["accepted", "error"]
        # The loser cannot write into the winner's conversation.
        loser = a if results[0] == "error" else b
        await loser.send_json_to(
            {"type": "message", "conversation": joined["conversation"], "client_id": "z", "body": "hi"}
        )
        err = await _recv_until(loser, "error")
        assert err["code"] == "not_found"
        for comm in (a, b, cust):
            await comm.disconnect()

    async_to_sync(scenario)()


def test_ping_reports_the_last_sequence_and_agents_can_resume(reference, agent):
    cookie = _session_cookie(agent)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        await cust.send_json_to({"type": "ping"})
        assert (await _recv_until(cust, "pong"))["last_seq"] is None  # nothing written yet
        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "一"})
        await _recv_until(cust, "ack")
        await cust.send_json_to({"type": "ping"})
        assert (await _recv_until(cust, "pong"))["last_seq"] == 1
        console = _comm("/ws/chat/agent/", [cookie])
        await console.connect()
        await console.send_json_to({"type": "accept", "conversation": joined["conversation"]})
        await _recv_until(console, "history")
        await console.send_json_to({"type": "resume", "conversation": joined["conversation"], "after_seq": 0})
        history = await _recv_until(console, "history")
        assert [m["body"] for m in history["messages"]] == ["一"]
        await cust.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()


def test_a_ping_heals_a_socket_the_layer_dropped_from_its_groups(reference, agent):
    """The in-memory layer removes a channel from every group when an event waited > 60 s for it
    (an overloaded server); the next keep-alive joins again and the gap is fetched."""
    from channels.layers import get_channel_layer

    from herdesk.chat.services import conversation_group

    cookie = _session_cookie(agent)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        console = _comm("/ws/chat/agent/", [cookie])
        await console.connect()
        await console.send_json_to({"type": "accept", "conversation": joined["conversation"]})
        await _recv_until(console, "history")
        await _recv_until(cust, "status")
        layer = get_channel_layer()
        pk = await database_sync_to_async(lambda: Conversation.objects.get().pk)()
        layer.groups.pop(conversation_group(pk), None)  # what expiry does under overload
        await console.send_json_to(
            {"type": "message", "conversation": joined["conversation"], "client_id": "a-1", "body": "在吗"}
        )
        await _recv_until(console, "ack")
        assert await cust.receive_nothing(timeout=0.3)  # lost on the way …
        await cust.send_json_to({"type": "ping"})
        pong = await _recv_until(cust, "pong")
        assert pong["last_seq"] == 1  # … noticed (the widget then resumes) …
        await console.send_json_to(
            {"type": "message", "conversation": joined["conversation"], "client_id": "a-2", "body": "您好"}
        )
        assert (await _recv_until(cust, "message"))["body"] == "您好"  # … and the socket is back
        await cust.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()


def test_visitor_verifies_the_phone_over_the_socket(customer, settings) -> None:
    """Issue #14: a visitor who typed a known number verifies it with the SMS code (frames
    verify_request / verify); the joined frame says whether the conversation is verified."""
    import re

    from herdesk.chat.tests import test_verification as tv

    tv.SENT.clear()
    settings.HERDESK_CHAT_SMS_SENDER = "herdesk.chat.tests.test_verification.fake_sender"

    async def scenario() -> None:
        cust, joined = await _open_customer(name="自称张三", phone="13812348000")
        assert joined["verified"] is False and joined["strings"]["verify_ask"] == "Send code"
        await cust.send_json_to({"type": "verify", "code": "123456"})
        refused = await _recv_until(cust, "error")
        assert refused["code"] == "verify_expired"  # no code was asked for yet
        await cust.send_json_to({"type": "verify_request"})
        await _recv_until(cust, "verify_sent")
        code = re.search(r"(\d{6})", tv.SENT[-1]["text"]).group(1)
        await cust.send_json_to({"type": "verify", "code": code})
        await _recv_until(cust, "verified")
        await cust.disconnect()

    async_to_sync(scenario)()
    conv = Conversation.objects.get()
    assert conv.verified_at is not None and tv.SENT[-1]["phone"] == "+8613812348000"


def test_customer_rates_the_chat_the_agent_ended(reference, agent):
    """QA-2: when the agent ends a chat on a ticket the widget is offered a 1–5 rating; the score is
    stored on the conversation, written on the ticket's timeline, and cannot be given twice."""
    from herdesk.chat import services as chat_services

    cookie = _session_cookie(agent)

    async def scenario() -> None:
        cust, joined = await _open_customer()
        assert joined["rating_offered"] is False
        conv_id = joined["conversation"]
        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "奶粉怎么冲"})
        await _recv_until(cust, "ack")
        console = _comm("/ws/chat/agent/", [cookie])
        assert (await console.connect())[0]
        await console.send_json_to({"type": "accept", "conversation": conv_id})
        await _recv_until(console, "accepted")
        await console.send_json_to(
            {"type": "message", "conversation": conv_id, "client_id": "a-1", "body": "用 45℃ 温水"}
        )
        await _recv_until(cust, "message")
        await cust.send_json_to({"type": "rate", "score": 5})  # not yet: the chat is still on
        refused = await _recv_until(cust, "error")
        assert refused["code"] == "not_allowed"
        await console.send_json_to({"type": "close", "conversation": conv_id})
        closed = await _recv_until(cust, "status")
        while closed["status"] != "closed":
            closed = await _recv_until(cust, "status")
        assert closed["rating_offered"] is True and closed["ticket"]
        await cust.send_json_to({"type": "rate", "score": "x"})
        assert (await _recv_until(cust, "error"))["code"] in ("invalid", "validation_error", "validation")
        await cust.send_json_to({"type": "rate", "score": 4})
        rated = await _recv_until(cust, "status")
        assert rated["rating"] == 4 and rated["rating_offered"] is False
        await cust.send_json_to({"type": "rate", "score": 1})
        assert (await _recv_until(cust, "error"))["code"] == "not_allowed"
        await cust.disconnect()
        await console.disconnect()

    async_to_sync(scenario)()
    conv = Conversation.objects.get()
    assert conv.rating == 4 and conv.closed_by_agent and conv.rated_at
    assert conv.ticket.interactions.filter(data__chat_rating=4, is_public=True).count() == 1
    assert chat_services.rating_offered(conv) is False


def test_a_chat_the_customer_ended_offers_no_rating(reference):
    async def scenario() -> None:
        cust, _joined = await _open_customer()
        await cust.send_json_to({"type": "message", "client_id": "c-1", "body": "在吗"})
        await _recv_until(cust, "ack")
        await cust.send_json_to({"type": "close"})
        closed = await _recv_until(cust, "status")
        assert closed["status"] == "closed" and closed["rating_offered"] is False
        await cust.disconnect()

    async_to_sync(scenario)()

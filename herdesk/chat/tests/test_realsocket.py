"""One test over real sockets: uvicorn serves config.asgi:application on a free loopback port (in a
thread), `websockets` clients connect, one drops its TCP connection mid-conversation and comes back.
Proves reconnect-without-loss and isolation end to end (HTTP upgrade, origin check, session auth)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from herdesk.chat.models import ChatMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server_url(reference) -> Iterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        "config.asgi:application",
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
        ws_ping_interval=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _cookie(user: Any) -> str:
    from django.test import Client

    c = Client()
    c.force_login(user)
    return f"sessionid={c.cookies['sessionid'].value}"


class Peer:
    """A websockets client that records every frame it receives."""

    def __init__(self, host: str, path: str, cookie: str = "") -> None:
        self.url = f"ws://{host}{path}"
        self.origin = f"http://{host}"
        self.cookie = cookie
        self.frames: list[dict] = []
        self.ws: Any = None

    async def connect(self) -> Peer:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await connect(self.url, origin=self.origin, additional_headers=headers, open_timeout=5)
        return self

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def until(self, kind: str, timeout: float = 5, **match: Any) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=max(remaining, 0.01)))
            self.frames.append(frame)
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def drain(self, seconds: float = 0.3) -> None:
        try:
            while True:
                self.frames.append(json.loads(await asyncio.wait_for(self.ws.recv(), timeout=seconds)))
        except TimeoutError:
            pass

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a phone losing signal)."""
        self.ws.transport.abort()


def test_reconnect_without_loss_and_isolation_over_real_sockets(server_url, agent):
    cookie = _cookie(agent)

    async def scenario() -> tuple[str, str]:
        alice = await Peer(server_url, "/ws/chat/").connect()
        bob = await Peer(server_url, "/ws/chat/").connect()
        for peer, name, phone in ((alice, "甲", "13700000001"), (bob, "乙", "13700000002")):
            await peer.send({"type": "hello", "lang": "zh-hans"})
            await peer.until("welcome")
            await peer.send({"type": "open", "name": name, "phone": phone})
        ja = await alice.until("joined")
        jb = await bob.until("joined")
        conv_a = ja["conversation"]

        await alice.send({"type": "message", "client_id": "a-1", "body": "冷藏罐温度报警"})
        await alice.until("ack", client_id="a-1")

        console = await Peer(server_url, "/ws/chat/agent/", cookie).connect()
        await console.until("queue_snapshot")
        await console.send({"type": "accept", "conversation": conv_a})
        await console.until("history", conversation=conv_a)
        await console.send(
            {"type": "message", "conversation": conv_a, "client_id": "r-1", "body": "请看显示屏代码"}
        )
        await alice.until("message", seq=2)

        # Alice writes and loses signal before reading the acknowledgement …
        await alice.send({"type": "message", "client_id": "a-2", "body": "显示 E3"})
        await asyncio.sleep(0.05)
        alice.abort()
        # … while the agent answers into the void.
        await console.send(
            {"type": "message", "conversation": conv_a, "client_id": "r-2", "body": "E3 是压缩机过热"}
        )
        await console.until("ack", client_id="r-2")

        back = await Peer(server_url, "/ws/chat/").connect()
        last_seen = 2
        await back.send({"type": "hello", "token": ja["token"], "after_seq": last_seen, "lang": "zh-hans"})
        rejoined = await back.until("joined")
        assert rejoined["conversation"] == conv_a and rejoined["status"] == "active"
        history = await back.until("history")
        bodies = [m["body"] for m in history["messages"]]
        assert "E3 是压缩机过热" in bodies  # nothing the agent wrote while Alice was away is lost
        await back.send({"type": "message", "client_id": "a-2", "body": "显示 E3"})  # resend, unacked
        ack = await back.until("ack", client_id="a-2")
        assert ack["seq"] in (3, 4, 5)

        # Isolation: Bob's socket got nothing of Alice's conversation, and cannot get in.
        await bob.drain()
        alice_bodies = {"冷藏罐温度报警", "请看显示屏代码", "显示 E3", "E3 是压缩机过热"}
        leaked = [
            f
            for f in bob.frames
            if f.get("conversation") == conv_a
            or f.get("body") in alice_bodies
            or any(m.get("body") in alice_bodies for m in f.get("messages", []))
        ]
        assert leaked == []
        await bob.send({"type": "hello", "token": ja["token"][:-3] + "xyz", "after_seq": 0})
        assert (await bob.until("error"))["code"] == "bad_token"
        await bob.send({"type": "resume", "after_seq": 0})
        history_b = await bob.until("history")
        assert history_b["conversation"] == jb["conversation"] and history_b["messages"] == []

        for peer in (back, bob, console):
            await peer.ws.close()
        return conv_a, jb["conversation"]

    conv_a, conv_b = async_to_sync(scenario)()
    stored = list(
        ChatMessage.objects.filter(conversation__public_id=conv_a)
        .order_by("seq")
        .values_list("body", flat=True)
    )
    assert sorted(stored) == sorted(
        ["冷藏罐温度报警", "请看显示屏代码", "显示 E3", "E3 是压缩机过热"]
    )  # each exactly once
    assert not ChatMessage.objects.filter(conversation__public_id=conv_b).exists()


def test_the_embedded_scheduler_turns_an_unattended_chat_into_a_ticket(server_url, agent, settings):
    """`herdesk serve` without Celery: the scheduler thread runs chat_sweep, so a customer who wrote
    and left (no widget left to ask `check`) still gets a ticket, and the sockets hear of it."""
    from herdesk.chat.choices import ConversationStatus, OfflineReason
    from herdesk.chat.models import Conversation
    from herdesk.clocks.models import Clock
    from herdesk.ops.scheduler import SchedulerThread

    settings.HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS = 1
    cookie = _cookie(agent)
    scheduler = SchedulerThread(interval=1)

    async def scenario() -> tuple[str, dict, dict]:
        customer = await Peer(server_url, "/ws/chat/").connect()
        await customer.send({"type": "hello", "lang": "zh-hans"})
        await customer.until("welcome")
        await customer.send({"type": "open", "name": "丙", "phone": "13700000003"})
        joined = await customer.until("joined")
        await customer.send({"type": "message", "client_id": "c-1", "body": "奶罐搅拌器不转了"})
        await customer.until("ack", client_id="c-1")
        console = await Peer(server_url, "/ws/chat/agent/", cookie).connect()
        await console.until("queue_snapshot")
        await asyncio.sleep(1.1)  # nobody accepts in time
        scheduler.start()
        status = await customer.until("status", timeout=10, status="offline")
        queue = await console.until(
            "queue", timeout=10, conversation=joined["conversation"], status="offline"
        )
        for peer in (customer, console):
            await peer.ws.close()
        return joined["conversation"], status, queue

    try:
        conv_id, status, _queue = async_to_sync(scenario)()
    finally:
        scheduler.stopping.set()
        scheduler.join(10)
    conv = Conversation.objects.get(public_id=conv_id)
    assert conv.status == ConversationStatus.OFFLINE and conv.offline_reason == OfflineReason.NO_AGENT
    assert conv.ticket is not None and status["ticket"] == conv.ticket.number
    assert conv.ticket.subject == "奶罐搅拌器不转了"
    assert Clock.objects.filter(ticket=conv.ticket, kind="first_response", state="running").exists()

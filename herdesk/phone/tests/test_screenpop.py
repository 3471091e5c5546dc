"""The screen pop over a WebSocket: the agent's browser at /ws/phone/ gets the caller's profile when
the CTI says the agent's extension rings; nobody else does."""

from __future__ import annotations

import json
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client

from config.asgi import application
from herdesk.chat.tests.wstest import WebsocketCommunicator
from herdesk.phone.tests.test_cti import _event, _sign

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie(user) -> tuple[bytes, bytes]:
    c = Client()
    c.force_login(user)
    return (b"cookie", f"sessionid={c.cookies['sessionid'].value}".encode())


def _ring(extension: str) -> int:
    from django.conf import settings

    body = json.dumps(_event("ringing", extension=extension)).encode()
    ts = int(time.time())
    r = Client().post(
        "/phone/cti/events",
        body,
        content_type="application/json",
        HTTP_X_HERDESK_TIMESTAMP=str(ts),
        HTTP_X_HERDESK_SIGNATURE=_sign(body, ts, settings.HERDESK_CTI_HMAC_SECRET),
    )
    return r.status_code


def test_the_ringing_agent_gets_the_pop_and_the_other_does_not(customer, staff):
    agent, other = staff["agent1"], staff["agent2"]
    agent.extension, other.extension = "8001", "8002"
    agent.save()
    other.save()
    mine, theirs = _cookie(agent), _cookie(other)

    async def scenario() -> None:
        a = WebsocketCommunicator(
            application, "/ws/phone/", headers=[(b"origin", b"http://testserver"), mine]
        )
        b = WebsocketCommunicator(
            application, "/ws/phone/", headers=[(b"origin", b"http://testserver"), theirs]
        )
        assert (await a.connect())[0] and (await b.connect())[0]
        assert (await a.receive_json_from())["extension"] == "8001"
        await b.receive_json_from()
        assert await sync_to_async(_ring)("8001") == 200
        pop = await a.receive_json_from(timeout=3)
        assert pop["type"] == "pop" and pop["customer"]["name"] == "张三" and pop["open_tickets"] == 0
        assert await b.receive_nothing(timeout=0.3)
        await a.disconnect()
        await b.disconnect()

    async_to_sync(scenario)()


def test_the_pop_socket_needs_a_signed_in_agent(reference):
    async def scenario() -> None:
        comm = WebsocketCommunicator(application, "/ws/phone/", headers=[(b"origin", b"http://testserver")])
        connected, code = await comm.connect()
        assert not connected and code == 4403

    async_to_sync(scenario)()

"""The embedded channel layer (amortised expiry sweep) and the sockets' frame task (events are
delivered while the socket's own frame waits for the database)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from config.asgi import application
from herdesk.chat import services
from herdesk.chat.layers import InMemoryChannelLayer
from herdesk.chat.tests.test_consumers import ORIGIN, _open_customer, _recv_until, _session_cookie
from herdesk.chat.tests.wstest import WebsocketCommunicator


def test_the_embedded_default_uses_the_amortised_layer():
    if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
        pytest.skip("REDIS_URL is set")
    assert isinstance(get_channel_layer(), InMemoryChannelLayer)


def test_the_expiry_sweep_runs_at_most_once_per_interval(monkeypatch):
    layer = InMemoryChannelLayer(clean_interval=60)
    passes = []
    monkeypatch.setattr("channels.layers.InMemoryChannelLayer._clean_expired", lambda self: passes.append(1))

    async def many() -> None:
        for i in range(50):
            await layer.send(f"c{i}", {"type": "x"})
            await layer.receive(f"c{i}")

    async_to_sync(many)()
    assert len(passes) == 1  # upstream: 50 passes over every channel and group


def test_expired_messages_are_still_dropped_and_the_channel_leaves_its_groups():
    layer = InMemoryChannelLayer(expiry=1, clean_interval=0.1)

    async def scenario() -> dict[str, Any]:
        await layer.group_add("g", "stale")
        await layer.group_add("g", "live")
        await layer.send("stale", {"type": "old"})
        await asyncio.sleep(1.2)
        await layer.send("live", {"type": "new"})
        return await layer.receive("live")

    assert async_to_sync(scenario)() == {"type": "new"}
    assert "stale" not in layer.groups["g"] and "live" in layer.groups["g"]
    assert "stale" not in layer.channels


def test_the_redis_layer_reads_with_a_timeout_above_its_blocking_pop():
    """With REDIS_URL the settings build a Redis layer whose socket timeout outlives channels_redis's
    blocking pop (a quiet socket was dropped otherwise), and that layer round-trips a message
    through the real Redis. A fresh interpreter: settings are evaluated once per process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import redis

    url = os.environ.get("HERDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"no Redis at {url}")
    code = """
import asyncio
from channels_redis.core import RedisChannelLayer
from config.settings import base
layer_conf = base.CHANNEL_LAYERS["default"]
assert layer_conf["BACKEND"] == "channels_redis.core.RedisChannelLayer", layer_conf
host = layer_conf["CONFIG"]["hosts"][0]
assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout, host
async def main():
    layer = RedisChannelLayer(**layer_conf["CONFIG"])
    name = await layer.new_channel()
    await layer.send(name, {"type": "chat.event", "n": 1})
    got = await asyncio.wait_for(layer.receive(name), 10)
    await layer.flush()
    await layer.close_pools()
    print(got["n"])
asyncio.run(main())
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    env["REDIS_URL"] = url
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[3],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "1"


@pytest.mark.django_db(transaction=True)
def test_a_console_gets_events_while_its_own_message_is_being_stored(reference, agent, monkeypatch):
    """The console's reply is stuck in the database thread; an event published to the console
    meanwhile still reaches it at once (before: only after the reply was stored), and the reply
    is acknowledged once the database lets it go."""
    release = threading.Event()
    original = services.message_post

    def slow_post(**kwargs: Any) -> Any:
        if kwargs.get("sender") == "agent":
            assert release.wait(10)
        return original(**kwargs)

    monkeypatch.setattr(services, "message_post", slow_post)
    cookie = _session_cookie(agent)

    async def scenario() -> tuple[bool, dict[str, Any]]:
        customer, joined = await _open_customer()
        console = WebsocketCommunicator(application, "/ws/chat/agent/", headers=[ORIGIN, cookie])
        assert (await console.connect())[0]
        await _recv_until(console, "queue_snapshot")
        conv = joined["conversation"]
        await console.send_json_to({"type": "accept", "conversation": conv})
        await _recv_until(console, "history")
        await console.send_json_to(
            {"type": "message", "conversation": conv, "client_id": "r1", "body": "您好"}
        )
        await asyncio.sleep(0.2)  # the reply now waits in slow_post, holding the database thread
        await get_channel_layer().group_send(
            services.agent_group(agent.pk), {"type": "chat.event", "payload": {"type": "probe"}}
        )
        try:
            await _recv_until(console, "probe", timeout=3)
            probe_while_blocked = not release.is_set()
        finally:
            release.set()
        ack = await _recv_until(console, "ack", timeout=5)
        await customer.disconnect()
        await console.disconnect()
        return probe_while_blocked, ack

    probe_while_blocked, ack = async_to_sync(scenario)()
    assert probe_while_blocked
    assert ack["client_id"] == "r1" and ack["seq"] == 1

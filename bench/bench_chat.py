"""Live chat under load: 1,000 concurrent customer sockets against a real uvicorn on loopback.

What is measured (the target is p95 message delivery < 100 ms):
  - open: hello → open → joined per customer (creates the customer and the conversation);
  - customer → agent: a customer's message until the agent's console receives it (the message is
    stored raw through herdesk.inbound, processed, sequenced, committed and then published);
  - ack: the same message until the customer's own socket gets its acknowledgement;
  - agent → customer: the agent's reply until the customer's widget socket receives it.
Every customer writes at random intervals (mean BENCH_CHAT_INTERVAL s) for BENCH_CHAT_SECONDS, and
its agent answers each message at once. Messages never delivered are counted as lost.

    .venv/bin/python bench/bench_chat.py [--sockets 1000] [--agents 20] [--seconds 60] [--interval 30]
        [--conn-max-age 600] [--workers N (with REDIS_URL)]

Runs in a temporary directory with its own SQLite database (or DATABASE_URL=postgres://…/<a
database of its own>), the in-memory channel layer (or REDIS_URL), one uvicorn process (or
--workers N with REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from benchlib import Server, free_port, machine, peak_mb, percentile  # noqa: E402


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


TARGET_P95_MS = 100.0


def _environment(var_dir: Path, conn_max_age: int | None) -> dict[str, str]:
    settings_module = "config.settings.local"
    pythonpath = os.environ.get("PYTHONPATH", "")
    if conn_max_age is not None:
        # Override the settings' persistent connections (SQLite default: 600 s). With
        # --conn-max-age 0 every database call of a consumer opens and closes its connection.
        (var_dir / "bench_chat_settings.py").write_text(
            "from config.settings.local import *  # noqa: F403\n"
            f'DATABASES["default"]["CONN_MAX_AGE"] = {conn_max_age}  # noqa: F405\n'
        )
        settings_module = "bench_chat_settings"
        pythonpath = os.pathsep.join(p for p in (str(var_dir), str(ROOT), pythonpath) if p)
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "HERDESK_VAR_DIR": str(var_dir),
        "HERDESK_CHAT_CALENDAR": "24x7",  # staffed whenever the benchmark runs
        "HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS": "3600",
        "HERDESK_EMBEDDED_SCHEDULER": "0",
        "HERDESK_LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    env.setdefault("DATABASE_URL", "")
    return env


def _prepare(env: dict[str, str], agents: int) -> list[str]:
    """Migrate, load reference data, create the agents; their session cookies."""
    os.environ.update(env)
    for path in reversed(env.get("PYTHONPATH", "").split(os.pathsep)):
        if path and path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from herdesk.demo.services import reference_data_ensure
    from herdesk.staff.models import Team, User
    from herdesk.staff.services import user_create

    call_command("migrate", verbosity=0, interactive=False)
    reference_data_ensure()
    team = Team.objects.get(code="customer-service")
    cookies = []
    for i in range(agents):
        name = f"bench-agent-{i}"
        user = User.objects.filter(username=name).first() or user_create(
            username=name, password="bench-password-1", role="agent", team=team, display_name=f"坐席{i}"
        )
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s.create()
        cookies.append(f"sessionid={s.session_key}")
    from django.db import connections

    connections.close_all()
    return cookies


@dataclass
class Stats:
    open_s: list[float] = field(default_factory=list)
    c2a_s: list[float] = field(default_factory=list)
    c2a_recovered_s: list[float] = field(default_factory=list)  # fetched after a keep-alive showed a gap
    ack_s: list[float] = field(default_factory=list)
    a2c_s: list[float] = field(default_factory=list)
    sent_c: dict[str, float] = field(default_factory=dict)
    sent_c_ack: dict[str, float] = field(default_factory=dict)  # ack and delivery race: timed apart
    sent_a: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    console_frames: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    phase_wall_s: float = 0.0


async def _connect(url: str, origin: str, cookie: str = "") -> Any:
    from websockets.asyncio.client import connect

    headers = {"Cookie": cookie} if cookie else None
    return await connect(
        url,
        origin=origin,
        additional_headers=headers,
        open_timeout=60,
        max_queue=None,
        ping_interval=None,
        compression=None,
    )


async def _recv(ws: Any, kind: str, timeout: float = 60) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame
        if frame["type"] == "error":
            raise RuntimeError(f"error frame: {frame}")


async def run(
    host: str, n: int, cookies: list[str], seconds: float, interval: float, seed: int, server_pids: list[int]
) -> Stats:
    rng = random.Random(seed)
    stats = Stats()
    base = f"ws://{host}"
    origin = f"http://{host}"
    customers: list[tuple[Any, str]] = []
    sem = asyncio.Semaphore(50)

    async def open_one(i: int) -> None:
        async with sem:
            t0 = time.perf_counter()
            ws = await _connect(base + "/ws/chat/", origin)
            await ws.send(json.dumps({"type": "hello", "lang": "zh-hans"}))
            await _recv(ws, "welcome")
            await ws.send(
                json.dumps({"type": "open", "name": f"客户{i}", "phone": f"+8613{700000000 + i:09d}"})
            )
            joined = await _recv(ws, "joined")
            stats.open_s.append(time.perf_counter() - t0)
            customers.append((ws, joined["conversation"]))

    t_open = time.perf_counter()
    await asyncio.gather(*(open_one(i) for i in range(n)))
    open_wall = time.perf_counter() - t_open
    print(f"  {n} customer sockets open in {open_wall:.1f} s", flush=True)

    # Agents accept their share of the conversations.
    consoles = [await _connect(base + "/ws/chat/agent/", origin, c) for c in cookies]
    for ws in consoles:
        await _recv(ws, "queue_snapshot")
    owner: dict[str, Any] = {}
    for idx, (_ws, conv) in enumerate(customers):
        owner[conv] = consoles[idx % len(consoles)]

    async def accept_all(console: Any) -> None:
        # One at a time, as a person clicks: each acceptance answered before the next.
        for conv in [c for c, o in owner.items() if o is console]:
            await console.send(json.dumps({"type": "accept", "conversation": conv}))
            while True:
                frame = json.loads(await asyncio.wait_for(console.recv(), 300))
                if frame["type"] == "accepted":
                    break
                if frame["type"] == "error":
                    stats.errors.append(str(frame))
                    break

    await asyncio.gather(*(accept_all(c) for c in consoles))

    async def settle(ws: Any, quiet: float = 3.0, cap: float = 300.0) -> None:
        # Every acceptance was announced to every console (the waiting queue): let the consoles
        # take that in before measuring, so the numbers describe the steady state of a busy shift.
        deadline = time.perf_counter() + cap
        while time.perf_counter() < deadline:
            try:
                await asyncio.wait_for(ws.recv(), quiet)
            except TimeoutError:
                return

    t_settle = time.perf_counter()
    await asyncio.gather(*(settle(ws) for ws in consoles), *(settle(ws) for ws, _c in customers))
    print(f"  consoles settled in {time.perf_counter() - t_settle:.0f} s", flush=True)
    print(f"  {len(consoles)} agents accepted {len(owner)} chats", flush=True)

    stop = asyncio.Event()

    async def customer_reader(ws: Any) -> None:
        try:
            async for raw in ws:
                f = json.loads(raw)
                now = time.perf_counter()
                if f["type"] == "ack":
                    t0 = stats.sent_c_ack.pop(f["client_id"], None)
                    if t0 is not None:
                        stats.ack_s.append(now - t0)
                elif f["type"] == "message" and f["sender"] == "agent":
                    t0 = stats.sent_a.pop(f["client_id"], None)
                    if t0 is not None:
                        stats.a2c_s.append(now - t0)
                elif f["type"] == "error":
                    stats.errors.append(f.get("code", "?"))
        except Exception:
            pass

    seen: dict[str, int] = {}  # conversation -> last sequence number a console saw

    async def on_customer_message(ws: Any, f: dict, live: bool) -> None:
        seen[f["conversation"]] = max(seen.get(f["conversation"], 0), f["seq"])
        t0 = stats.sent_c.pop(f["client_id"], None)
        if t0 is None:
            return
        (stats.c2a_s if live else stats.c2a_recovered_s).append(time.perf_counter() - t0)
        if not stop.is_set():
            cid = "r-" + f["client_id"]
            stats.sent_a[cid] = time.perf_counter()
            reply = {
                "type": "message",
                "conversation": f["conversation"],
                "client_id": cid,
                "body": "收到，马上处理。",
            }
            await ws.send(json.dumps(reply))

    async def console_reader(ws: Any) -> None:
        # Behaves like console.js: live events, plus "resume" when a keep-alive shows a gap.
        try:
            async for raw in ws:
                f = json.loads(raw)
                stats.console_frames[f["type"]] = stats.console_frames.get(f["type"], 0) + 1
                if f["type"] == "message":
                    seen[f["conversation"]] = max(seen.get(f["conversation"], 0), f["seq"])
                if f["type"] == "message" and f["sender"] == "customer":
                    await on_customer_message(ws, f, live=True)
                elif f["type"] == "history":
                    for m in f["messages"]:
                        if m["sender"] == "customer":
                            await on_customer_message(ws, m, live=False)
                elif f["type"] == "pong":
                    for conv, last in (f.get("conversations") or {}).items():
                        if last > seen.get(conv, 0):
                            await ws.send(
                                json.dumps(
                                    {"type": "resume", "conversation": conv, "after_seq": seen.get(conv, 0)}
                                )
                            )
                elif f["type"] == "error":
                    stats.errors.append(f.get("code", "?"))
        except Exception as exc:
            stats.errors.append(f"console reader: {exc!r}")

    async def writer(i: int, ws: Any) -> None:
        k = 0
        await asyncio.sleep(rng.uniform(0, interval))
        while not stop.is_set():
            k += 1
            cid = f"c{i}-{k}"
            stats.sent_c[cid] = stats.sent_c_ack[cid] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"type": "message", "client_id": cid, "body": f"第{k}条：冷藏罐温度报警，请尽快处理。"}
                )
            )
            await asyncio.sleep(rng.uniform(0.5 * interval, 1.5 * interval))

    async def pinger(ws: Any, every: float) -> None:
        # The widget (30 s) and the console (25 s) send keep-alives (they also heal group membership).
        await asyncio.sleep(rng.uniform(0, every))
        while not stop.is_set():
            await ws.send('{"type":"ping"}')
            await asyncio.sleep(every)

    for ws in consoles:  # the console's keep-alive right away: it also re-joins its groups
        await ws.send('{"type":"ping"}')
    pingers = [asyncio.create_task(pinger(ws, 30)) for ws, _c in customers] + [
        asyncio.create_task(pinger(ws, 25)) for ws in consoles
    ]
    readers = [asyncio.create_task(customer_reader(ws)) for ws, _c in customers]
    readers += [asyncio.create_task(console_reader(ws)) for ws in consoles]
    writers = [asyncio.create_task(writer(i, ws)) for i, (ws, _c) in enumerate(customers)]
    cpu0, client0, wall0 = cpu_seconds(server_pids), time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    stop.set()
    for w in writers + pingers:
        w.cancel()
    # Grace period: whatever is still in flight after this is counted as lost.
    deadline = time.perf_counter() + 15
    while (stats.sent_c or stats.sent_a) and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
    stats.server_cpu_s = cpu_seconds(server_pids) - cpu0
    stats.client_cpu_s = time.process_time() - client0
    stats.phase_wall_s = time.perf_counter() - wall0
    for ws, _c in customers:
        await ws.close()
    for ws in consoles:
        await ws.close()
    for r in readers:
        r.cancel()
    return stats


def _row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | 0 | – | – | – | – |"
    ms = [v * 1000 for v in values]
    return (
        f"| {name} | {len(ms)} | {percentile(ms, 50):.1f} | {percentile(ms, 95):.1f} "
        f"| {percentile(ms, 99):.1f} | {max(ms):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=int(os.environ.get("BENCH_CHAT_SOCKETS", 1000)))
    parser.add_argument("--agents", type=int, default=int(os.environ.get("BENCH_CHAT_AGENTS", 20)))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_CHAT_SECONDS", 60)))
    parser.add_argument("--interval", type=float, default=float(os.environ.get("BENCH_CHAT_INTERVAL", 30)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="CONN_MAX_AGE seconds instead of the settings' value (SQLite: 600; 0 reopens per call)",
    )
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("BENCH_CHAT_WORKERS", 1)), help="uvicorn processes"
    )
    args = parser.parse_args()
    if args.workers > 1 and not os.environ.get("REDIS_URL"):
        parser.error("several workers share sockets' groups through Redis: set REDIS_URL=redis://…")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory(prefix="herdesk-bench-chat-") as tmp:
        env = _environment(Path(tmp), args.conn_max_age)
        print(f"preparing database and {args.agents} agents in {tmp} …", flush=True)
        cookies = _prepare(env, args.agents)
        from django.conf import settings as dj_settings

        conn_max_age = dj_settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--ws",
            "websockets-sansio",
            "--log-level",
            "warning",
            "--no-access-log",
            # The set-up phase (1,000 accepts) keeps the server busy for minutes on a shared machine:
            # no keepalive pings, so no socket is dropped for a late pong while it is measured.
            "--ws-ping-interval",
            "600",
            "--ws-ping-timeout",
            "600",
            "--workers",
            str(args.workers),
        ]
        with Server(argv, env, port, Path(tmp) / "server.log") as server:
            server.wait_ready("/healthz")
            t0 = time.perf_counter()
            try:
                stats = asyncio.run(
                    run(
                        f"127.0.0.1:{port}",
                        args.sockets,
                        cookies,
                        args.seconds,
                        args.interval,
                        args.seed,
                        server.pids(),
                    )
                )
            except Exception:
                log_tail = (Path(tmp) / "server.log").read_text(errors="replace")[-3000:]
                print("server log (tail):\n" + log_tail, file=sys.stderr)
                raise
            wall = time.perf_counter() - t0
            rss = peak_mb(server.pids())
        lost_c, lost_a = len(stats.sent_c), len(stats.sent_a)
    facts = machine()
    delivered = len(stats.c2a_s) + len(stats.a2c_s)
    print()
    print(
        f"Live chat benchmark — {facts['date']}, {facts['nproc']} cores, {facts['cpu']}, "
        f"commit {facts['commit']}"
    )
    print(
        f"database: {'PostgreSQL' if env.get('DATABASE_URL', '').startswith('postgres') else 'SQLite'}"
        f" (CONN_MAX_AGE={conn_max_age}{' from --conn-max-age' if args.conn_max_age is not None else ''})"
        "; "
        f"channel layer: {'Redis' if env.get('REDIS_URL') else 'in-memory'}; "
        f"{args.workers} uvicorn process{'es' if args.workers > 1 else ''}"
    )
    print(
        f"{args.sockets} customer sockets + {args.agents} agent consoles; each customer writes every "
        f"~{args.interval:g} s for {args.seconds:g} s; agents answer each message at once"
    )
    print()
    print("| measure | n | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(_row("open (hello → joined)", stats.open_s))
    print(_row("customer → agent delivery", stats.c2a_s))
    print(_row("customer → agent, recovered by keep-alive", stats.c2a_recovered_s))
    print(_row("customer message acknowledged", stats.ack_s))
    print(_row("agent → customer delivery", stats.a2c_s))
    print()
    p95_all = percentile([v * 1000 for v in stats.c2a_s + stats.a2c_s], 95) if delivered else float("nan")
    rate = delivered / args.seconds if args.seconds else 0
    print(
        f"delivered {delivered} messages ({rate:.0f}/s); "
        f"lost customer→agent {lost_c}, agent→customer {lost_a}; "
        f"error frames {len(stats.errors)}; server peak RSS {rss or 0:.0f} MB; wall {wall:.0f} s"
    )
    verdict = "MET" if p95_all < TARGET_P95_MS and not (lost_c or lost_a) else "NOT MET"
    handled = len(stats.ack_s) + len(stats.a2c_s)
    if handled:
        print(
            f"server CPU {stats.server_cpu_s:.1f} s over {stats.phase_wall_s:.0f} s of messages "
            f"({stats.server_cpu_s / stats.phase_wall_s * 100:.0f}% of one core; "
            f"{stats.server_cpu_s / handled * 1000:.1f} ms CPU per message handled); "
            f"bench client CPU {stats.client_cpu_s:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
    if stats.errors:
        print("errors:", sorted(set(stats.errors))[:5])
    print("console frames:", dict(sorted(stats.console_frames.items())))
    print(f"p95 delivery (both directions) {p95_all:.1f} ms — target < {TARGET_P95_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()

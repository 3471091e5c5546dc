"""The distributed layout under load and failure (OPS-2): nothing timed depends on one process.

Own PostgreSQL database (herdesk_mp_<random>, dropped afterwards) and an empty Redis database of its
own (the first free one from HERDESK_MP_REDIS_DB, default 5; flushed afterwards), then as
subprocesses: 2 web processes (`herdesk serve`), 2 Celery workers (`herdesk worker`) and one
`herdesk beat` sweeping every second. Client threads create
HERDESK_MP_TICKETS tickets (default 10,000) through the API, each with its own Idempotency-Key and
retrying on connection errors, while their 30-second first-response clocks come due (a third were
received 10 minutes ago, so they are due on arrival). Mid-way one Celery worker and one web process
are SIGKILLed and restarted.

Afterwards: every ticket exists exactly once, every due clock has exactly one breach (and is no
longer running), every outbox message was sent, and each sent message produced exactly one
notification per supervisor.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.multiprocess]

ROOT = Path(__file__).resolve().parents[3]
HERDESK = str(ROOT / ".venv" / "bin" / "herdesk") if (ROOT / ".venv" / "bin" / "herdesk").exists() else None
N_TICKETS = int(os.environ.get("HERDESK_MP_TICKETS", "10000"))
CLIENTS = int(os.environ.get("HERDESK_MP_CLIENTS", "6"))
REDIS_DB = int(os.environ.get("HERDESK_MP_REDIS_DB", "5"))
REDIS_BASE = os.environ.get("HERDESK_MP_REDIS", "redis://127.0.0.1:6379")
# Hard stop for the whole scenario. Ticket creation is serialised by the per-day ticket counter row
# (tickets.services._next_number; see docs/operations.md): about 25-30 tickets/s on 2 cores, so the
# default 10,000 tickets take about 6 minutes; allow for a slower machine.
DEADLINE_SECONDS = int(os.environ.get("HERDESK_MP_DEADLINE", str(240 + N_TICKETS // 8)))


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the test process dies (no orphans if pytest is killed)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_url(dbname: str) -> str:
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((url.scheme, url.netloc, "/" + dbname, url.query, url.fragment))


def _services_or_skip() -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(_pg_url("postgres"), connect_timeout=3).close()
        redis.Redis.from_url(f"{REDIS_BASE}/{REDIS_DB}", socket_connect_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("HERDESK_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"needs PostgreSQL and Redis: {exc}")


def setup_database() -> None:
    """Run inside the new database (`herdesk shell -c`): reference data, staff, 20 customers, a
    policy with a 30-second first-response clock, and an API token printed for the test."""
    from django.utils import timezone

    from herdesk.customers.services import customer_create
    from herdesk.demo.services import _staff, reference_data_ensure
    from herdesk.policies.models import ServicePolicy
    from herdesk.policies.services import version_approve, version_draft_create, version_submit
    from herdesk.staff.services import token_create

    reference_data_ensure()
    users = _staff()
    policy = ServicePolicy.objects.create(code="mp-test", name="multi-process test policy")
    one = ["notify_supervisor"]
    clocks = [
        {
            "kind": "first_response",
            "applies_to": {},
            "start_event": "received",
            "stop_event": "first_response",
            "target": "30s",
            "calendar_code": "24x7",
            "warn_actions": one,
            "breach_actions": one,
        },
        {
            "kind": "resolution",
            "applies_to": {},
            "start_event": "received",
            "stop_event": "resolved",
            "target": "24h",
            "calendar_code": "24x7",
            "warn_actions": one,
            "breach_actions": one,
        },
    ]
    v = version_draft_create(policy=policy, clocks=clocks, notes="mp test")
    version_submit(version=v, actor=None)
    version_approve(
        version=v, actor=None, effective_from=timezone.now() - timedelta(days=1), check_permission=False
    )
    ServicePolicy.objects.exclude(pk=policy.pk).update(is_active=False)
    ServicePolicy.objects.filter(pk=policy.pk).update(is_active=True)
    ids = [customer_create(name=f"客户{i}", phone=f"1381234{i:04d}").pk for i in range(20)]
    _t, secret = token_create(user=users["agent1"])
    print(f"TOKEN={secret}")
    print("CUSTOMERS=" + ",".join(map(str, ids)))


class Fleet:
    """The subprocesses, each in its own process group so SIGKILL takes its children too."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = env
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.specs: dict[str, list[str]] = {}

    def start(self, name: str, args: list[str]) -> None:
        assert HERDESK
        self.specs[name] = args
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            [HERDESK, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def kill(self, name: str) -> None:
        p = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def restart(self, name: str) -> None:
        self.start(name, self.specs[name])

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)

    def tail(self, lines: int = 30) -> str:
        out = []
        for f in sorted(self.logdir.glob("*.log")):
            text = f.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {f.name}\n" + "\n".join(text))
        return "\n".join(out)


OWNER_KEY = "herdesk:mp-test:owner"


def _claim_redis_db() -> tuple[int, Any]:
    """An empty Redis database of this run's own, from HERDESK_MP_REDIS_DB (5) up: claimed with a
    key set only if absent, and used only if that key is all it holds, so two runs (two developers,
    CI) never flush each other's broker."""
    import redis

    token = secrets.token_hex(8)
    for db in range(REDIS_DB, 16):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{db}")
        if client.set(OWNER_KEY, token, nx=True, ex=3600):
            if client.dbsize() == 1:
                return db, client
            client.delete(OWNER_KEY)  # someone else's data lives here: leave it alone
    pytest.fail(f"no empty Redis database between {REDIS_DB} and 15 for the multi-process test")


@pytest.fixture
def mp_env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    if HERDESK is None:
        pytest.skip("needs the project's .venv (herdesk entry point)")
    _services_or_skip()
    import psycopg

    dbname = f"herdesk_mp_{secrets.token_hex(4)}"
    admin = psycopg.connect(_pg_url("postgres"), autocommit=True)
    admin.execute(f'CREATE DATABASE "{dbname}"')
    redis_db, r = _claim_redis_db()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _pg_url(dbname),
        "REDIS_URL": f"{REDIS_BASE}/{redis_db}",
        "HERDESK_SWEEP_INTERVAL_SECONDS": "1",
        "HERDESK_OUTBOX_INTERVAL_SECONDS": "1",
        # The killed worker may die holding a claimed batch: it is taken again after the lease.
        "HERDESK_OUTBOX_LEASE_SECONDS": "10",
        "HERDESK_VAR_DIR": str(tmp_path / "var"),
        "HERDESK_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("HERDESK_TEST_DB_SUFFIX", None)
    try:
        yield {"env": env, "dbname": dbname, "tmp": tmp_path}
    finally:
        r.flushdb()
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()


def _run(env: dict[str, str], *args: str) -> str:
    assert HERDESK
    out = subprocess.run(
        [HERDESK, *args], env=env, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _wait_http(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout} s")


class Creator:
    """Client threads: ticket i is created with Idempotency-Key mp-i; a connection error, a 5xx or
    a 409 (the same key in flight) is retried with the same key and body."""

    def __init__(self, ports: list[int], token: str, customers: list[int], n: int) -> None:
        self.ports, self.token, self.customers, self.n = ports, token, customers, n
        self.numbers: dict[int, str] = {}
        self.retries = 0
        self.created = 0
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.started = datetime.now(UTC)

    def body(self, i: int) -> dict[str, Any]:
        b: dict[str, Any] = {
            "customer_id": self.customers[i % len(self.customers)],
            "channel": ["phone", "chat", "email", "portal"][i % 4],
            "problem_type": ["technical_support", "after_sales", "product_inquiry"][i % 3],
            "subject": f"MP{i:06d} 挤奶机压力异常",
            "description": "多进程测试：客户来电反映设备报警。",
            "product_code": "milking-machine",  # INT-3: phone/chat contacts name the product
            "region": "内蒙古 呼和浩特",  # … and the region, when the customer has none on file
        }
        if i % 3 == 0:  # received ten minutes ago: the 30-second clock is due on arrival
            b["received_at"] = (self.started - timedelta(minutes=10)).isoformat()
        return b

    def work(self, worker: int) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        clients = [
            httpx.Client(base_url=f"http://127.0.0.1:{p}", headers=headers, timeout=30) for p in self.ports
        ]
        try:
            for i in range(worker, self.n, CLIENTS):
                body = self.body(i)
                attempt = 0
                while True:
                    client = clients[(i + attempt) % len(clients)]
                    try:
                        resp = client.post(
                            "/api/v1/tickets", json=body, headers={"Idempotency-Key": f"mp-{i}"}
                        )
                    except httpx.HTTPError:
                        resp = None
                    if resp is not None and resp.status_code in (200, 201):
                        with self.lock:
                            self.numbers[i] = resp.json()["number"]
                            self.created += 1
                        break
                    if resp is not None and resp.status_code < 500 and resp.status_code != 409:
                        with self.lock:
                            self.errors.append(f"{i}: {resp.status_code} {resp.text[:200]}")
                        break
                    attempt += 1
                    with self.lock:
                        self.retries += 1
                    if attempt > 60:
                        with self.lock:
                            self.errors.append(f"{i}: gave up after {attempt} attempts")
                        break
                    time.sleep(min(2.0, 0.05 * attempt))
        finally:
            for c in clients:
                c.close()


def test_distributed_layout_survives_kills_exactly_once(mp_env: dict[str, Any]) -> None:
    import psycopg

    t_start = time.monotonic()
    env, tmp = mp_env["env"], mp_env["tmp"]
    _run(env, "migrate", "--noinput", "-v", "0")
    out = _run(
        env, "shell", "-c", "from herdesk.ops.tests.test_multiprocess import setup_database; setup_database()"
    )
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    token, customers = values["TOKEN"], [int(x) for x in values["CUSTOMERS"].split(",")]
    t_setup = time.monotonic() - t_start

    logdir = tmp / "logs"
    logdir.mkdir()
    fleet = Fleet(env, logdir)
    ports = [_free_port(), _free_port()]
    try:
        for k, port in enumerate(ports):
            fleet.start(f"web{k}", ["serve", "--port", str(port), "--workers", "1", "--no-access-log"])
        for k in range(2):
            fleet.start(
                f"worker{k}", ["worker", "--concurrency", "1", "--pool", "solo", "--name", f"mp{k}@%h"]
            )
        fleet.start("beat", ["beat", "--schedule-file", str(tmp / "beat-schedule")])
        for port in ports:
            _wait_http(f"http://127.0.0.1:{port}/healthz")

        creator = Creator(ports, token, customers, N_TICKETS)
        threads = [threading.Thread(target=creator.work, args=(w,), daemon=True) for w in range(CLIENTS)]
        t_create = time.monotonic()
        for t in threads:
            t.start()
        # Mid-way: SIGKILL a Celery worker and a web process (with their children), restart both.
        while creator.created < N_TICKETS * 0.4 and any(t.is_alive() for t in threads):
            time.sleep(0.2)
        fleet.kill("worker0")
        fleet.kill("web1")
        time.sleep(2)
        fleet.restart("worker0")
        fleet.restart("web1")
        for t in threads:
            t.join(timeout=max(1, DEADLINE_SECONDS - (time.monotonic() - t_start)))
        create_seconds = time.monotonic() - t_create
        assert not creator.errors, creator.errors[:5]
        assert len(creator.numbers) == N_TICKETS, fleet.tail()
        last_created = datetime.now(UTC)

        # Every first-response clock is due 30 s after receipt at the latest: wait for the sweep
        # and the dispatcher to catch up, then check.
        conn = psycopg.connect(env["DATABASE_URL"], autocommit=True)
        settle_from = time.monotonic()
        while True:
            now = datetime.now(UTC)
            backlog = conn.execute(
                "SELECT count(*) FROM clocks_clock WHERE state = 'running' AND due_at <= %s", (now,)
            ).fetchone()[0]
            unsent = conn.execute(
                "SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'sent'"
            ).fetchone()[0]
            if now > last_created + timedelta(seconds=35) and backlog == 0 and unsent == 0:
                break
            if time.monotonic() - t_start > DEADLINE_SECONDS:
                pytest.fail(f"not settled: {backlog} clocks due, {unsent} messages unsent\n{fleet.tail()}")
            time.sleep(1)
        settle_seconds = time.monotonic() - settle_from

        import httpx

        ready = httpx.get(f"http://127.0.0.1:{ports[0]}/readyz", timeout=10).json()
        # One scrape target per instance (herdesk.ops.metrics): Prometheus adds them up.
        metrics = "\n".join(httpx.get(f"http://127.0.0.1:{p}/metrics", timeout=10).text for p in ports)
    finally:
        fleet.stop_all()

    q = lambda sql, *a: conn.execute(sql, a).fetchall()  # noqa: E731
    # 1. Every ticket exactly once (one per Idempotency-Key, distinct numbers).
    assert q("SELECT count(*) FROM tickets_ticket")[0][0] == N_TICKETS
    assert q("SELECT count(*) FROM tickets_idempotencyrecord")[0][0] == N_TICKETS
    assert len(set(creator.numbers.values())) == N_TICKETS
    assert (
        q("SELECT count(*) FROM (SELECT subject FROM tickets_ticket GROUP BY subject HAVING count(*) > 1) d")[
            0
        ][0]
        == 0
    )
    # 2. Every due breach recorded exactly once: all first-response clocks are due by now.
    fr = q(
        "SELECT count(*), count(*) FILTER (WHERE state = 'breached') FROM clocks_clock "
        "WHERE kind = 'first_response'"
    )[0]
    assert fr[0] == N_TICKETS and fr[1] == N_TICKETS
    breaches = q("SELECT count(*), count(DISTINCT clock_id) FROM clocks_clockincident WHERE kind = 'breach'")[
        0
    ]
    assert (
        breaches[0]
        == breaches[1]
        == q("SELECT count(*) FROM clocks_clock WHERE breached_at IS NOT NULL")[0][0]
    )
    assert breaches[0] == N_TICKETS  # the 24-hour resolution clocks are not due
    assert q("SELECT count(*) FROM clocks_clock WHERE state = 'running' AND due_at <= now()")[0][0] == 0
    # 3. No outbox message lost or sent twice: one clock action per incident, every message sent;
    #    one notification per sent action and supervisor, never two. (Filters keep messages other
    #    features may queue on ticket creation out of the count.)
    incidents = q("SELECT count(*) FROM clocks_clockincident")[0][0]
    actions = q(
        "SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM notifications_outboxmessage "
        "WHERE channel = 'action' AND template = 'notify_supervisor'"
    )[0]
    assert actions[0] == actions[1] == incidents
    assert q("SELECT count(*) FROM notifications_outboxmessage WHERE status <> 'sent'")[0][0] == 0
    supervisors = q(
        "SELECT count(*) FROM staff_user u JOIN staff_user_groups ug ON ug.user_id = u.id "
        "JOIN auth_group g ON g.id = ug.group_id WHERE g.name = 'supervisor' AND u.is_active"
    )[0][0]
    assert supervisors >= 1
    # Notifications carry the clock in their data (the text is rendered for the reader).
    clock_notes = "FROM notifications_notification WHERE data->>'clock' = %s"
    pattern = "first_response"
    assert q(f"SELECT count(*) {clock_notes}", pattern)[0][0] == actions[1] * supervisors
    dupes = q(
        f"SELECT count(*) FROM (SELECT user_id, ticket_id, text {clock_notes} "
        "GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        pattern,
    )
    assert dupes[0][0] == 0
    conn.close()
    # Health and metrics of the fleet: each web process reports its own requests; the one killed and
    # restarted starts again from zero (a counter reset, which Prometheus' rate() expects).
    assert ready["checks"]["redis"]["status"] == "ok" and ready["checks"]["scheduler"]["status"] == "ok", (
        ready
    )
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("herdesk_http_request_duration_seconds_count") and "api/v1/tickets" in line
    )
    assert counted >= N_TICKETS * 0.3  # at least what the process that was never killed served
    assert "herdesk_clock_backlog 0.0" in metrics.splitlines()
    sys.stderr.write(
        f"\nmulti-process: setup {t_setup:.0f} s, {N_TICKETS} tickets in {create_seconds:.0f} s "
        f"({N_TICKETS / create_seconds:.0f}/s, {creator.retries} client retries), settled in "
        f"{settle_seconds:.0f} s, {breaches[0]} breaches, {actions[0]} messages, total "
        f"{time.monotonic() - t_start:.0f} s\n"
    )

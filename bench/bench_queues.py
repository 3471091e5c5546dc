"""Workspace queue pages at scale (issue 4: "p95 server time < 50 ms for the first page of any queue").

In process, through Django's test Client: the full middleware stack, the view, the selectors and the
template rendering, i.e. the server's time without the network. Signed in (a session in the local
cache, no login write) as an agent, a team lead and a supervisor of the benchmark data set
(`herdesk bench generate` creates the demo staff agent1, tech1 and cs_lead next to its load staff),
it times the first page of every queue each of them has in the sidebar, the sidebar's counts
fragment (uncached: the per-user cache is dropped before each request, so this is the real query
cost), one filtered queue and one saved view, N times each after a warm-up, and prints
p50 / p95 / max, the queries per request and the rows shown.

    # SQLite (a data set from `herdesk bench generate`)
    DATABASE_URL=sqlite:////work/main/var/bench/q100k.sqlite3 .venv/bin/python bench/bench_queues.py
    # PostgreSQL, 1,000,000 tickets (the bench/run.py data set)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench .venv/bin/python bench/bench_queues.py

The database is opened read-only (PostgreSQL: default_transaction_read_only; SQLite: query_only),
so the benchmark cannot change the data set; a page that tried to write would fail the run.
Options: --n (default 100), --users, --slowest K (the K slowest SQL statements of each page, with
their time), --json PATH. HERDESK_VAR_DIR defaults to var/bench (the keys the data set was
encrypted with), as in bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("HERDESK_VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("HERDESK_EMBEDDED_SCHEDULER", "false")
os.environ.setdefault("HERDESK_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.pop("REDIS_URL", None)  # the counts cache and the sessions live in this process

import benchlib as bl  # noqa: E402

TARGET_P95_MS = 50.0
# An agent, a team lead (handler, sees their team) and a supervisor (sees every team).
DEFAULT_USERS = ("agent1", "tech1", "cs_lead")


@dataclass
class Measured:
    name: str
    user: str
    path: str
    n: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    cpu_p50_ms: float  # this process's CPU per request (Python, and SQLite's engine; not PostgreSQL's)
    queries: int
    rows: int
    status: int
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.p95_ms < TARGET_P95_MS


def _read_only(sender: Any, connection: Any, **kwargs: Any) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET default_transaction_read_only = on")
        elif connection.vendor == "sqlite":
            cur.execute("PRAGMA query_only = ON")


def setup() -> None:
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.db.backends.signals import connection_created

    connection_created.connect(_read_only)
    if connection.connection is not None:  # already open (a setup query): make it read-only too
        _read_only(None, connection)
    # Sessions in the local cache: signing in writes nothing to the data set.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    # The generated data set's supervisors have no second factor enrolled (a read-only data set
    # cannot enrol one): their pages are measured as after a verified sign-in, not the enrolment
    # redirect. The middleware still runs its check on every request.
    settings.HERDESK_2FA_REQUIRED_ROLES = []


def signed_in_client(user: Any) -> Any:
    """A test Client carrying a session for `user`, made without login() (which would write
    last_login and the lockout log)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The backend that signs people in (the first one is django-axes' lockout check).
    session[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "axes" not in b)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    device = next(iter(devices_for_user(user)), None)
    if device is not None:  # a second factor: the session is verified with it, as after sign-in
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    return client


@contextmanager
def capture() -> Iterator[list[tuple[float, str]]]:
    """(milliseconds, SQL) of every statement run inside the block (finer than the debug log)."""
    from django.db import connection

    seen: list[tuple[float, str]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append(((time.perf_counter() - t0) * 1000, sql))

    with connection.execute_wrapper(wrapper):
        yield seen


def pages_for(user: Any) -> list[tuple[str, str, bool]]:
    """(name, path, uncached counts?) of what this user opens: the first page of every queue in
    their sidebar, the counts fragment, one filtered queue and one saved view."""
    from django.urls import reverse

    from herdesk.savedviews.models import SavedView
    from herdesk.savedviews.selectors import savedviews_for
    from herdesk.workspace.views import _nav_queues

    out = [
        (f"queue {q['code']}", reverse("workspace:queue", args=[q["code"]]), False)
        for q in _nav_queues(user, None)
    ]
    out.append(("counts fragment (uncached)", reverse("workspace:queue_counts") + "?active=mine", True))
    supervisor = user.has_perm("tickets.view_all_tickets")
    if supervisor:
        flt = {"channel": "phone", "priority": "high", "region": "内蒙古"}
        out.append(
            (
                "filtered all (phone, high, 内蒙古)",
                reverse("workspace:queue", args=["all"]) + "?" + urlencode(flt),
                False,
            )
        )
    else:
        flt = {"problem_type": "technical_support", "priority": "normal"}
        queue = "team" if user.team_id else "unassigned"
        out.append(
            (
                f"filtered {queue} (type, normal)",
                reverse("workspace:queue", args=[queue]) + "?" + urlencode(flt),
                False,
            )
        )
    view = savedviews_for(user=user).first()
    if view is None:  # the data set is read-only here: the URL an unsaved view would open
        view = SavedView(
            owner=user,
            name="bench",
            queue="all" if supervisor else "mine",
            params={"tier": "key_account", "complexity": "complex"},
        )
    out.append((f"saved view ({view.queue}: {', '.join(view.params)})", view.get_absolute_url(), False))
    return out


def measure(client: Any, user: Any, name: str, path: str, n: int, uncached: bool, slowest: int) -> Measured:
    from django.core.cache import cache

    from herdesk.workspace.views import counts_cache_key

    def once() -> Any:
        if uncached:
            cache.delete(counts_cache_key(user))
        return client.get(path)

    for _ in range(3):  # warm-up: templates, translations, permissions, the database's caches
        r = once()
    with capture() as captured:
        r = once()
    body = r.content.decode() if r.status_code == 200 else ""
    rows = body.count('class="hd-row"') if "queue " in name or "view" in name else body.count("hd-nav-item")
    times, cpu = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        r = once()
        times.append(time.perf_counter() - t0)
        cpu.append((time.process_time() - c0) * 1000)
        if r.status_code != 200:
            break
    ms = [t * 1000 for t in times]
    top = sorted(captured, reverse=True)[:slowest]
    return Measured(
        name=name,
        user=user.username,
        path=path,
        n=len(ms),
        p50_ms=statistics.median(ms),
        p95_ms=bl.percentile(ms, 95),
        max_ms=max(ms),
        cpu_p50_ms=statistics.median(cpu),
        queries=len(captured),
        rows=rows,
        status=r.status_code,
        slowest=top,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="timed requests per page (after 3 warm-up requests)")
    ap.add_argument("--users", default=",".join(DEFAULT_USERS))
    ap.add_argument("--only", default="", help="measure only pages whose name contains this text")
    ap.add_argument("--slowest", type=int, default=0, help="print the K slowest SQL statements of each page")
    ap.add_argument("--json", default="", help="write the results to this file")
    args = ap.parse_args()
    setup()
    from django.db import connection

    from herdesk.staff.models import User
    from herdesk.tickets.models import Ticket

    t_start = time.perf_counter()
    n_tickets = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    db = connection.vendor
    dbname = connection.settings_dict["NAME"]
    print(
        f"bench_queues: {db} {Path(str(dbname)).name}, ~{n_tickets:,} tickets (max id), N={args.n}",
        flush=True,
    )
    print(
        f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}",
        flush=True,
    )
    results: list[Measured] = []
    for username in [u for u in args.users.split(",") if u]:
        user = User.objects.select_related("team").get(username=username)
        client = signed_in_client(user)
        for name, path, uncached in pages_for(user):
            if args.only and args.only not in name:
                continue
            m = measure(client, user, name, path, args.n, uncached, args.slowest)
            results.append(m)
            flag = "ok" if m.ok else "SLOW" if m.status == 200 else f"HTTP {m.status}"
            print(
                f"  {username:8} {name:42} p50 {m.p50_ms:7.1f}  p95 {m.p95_ms:7.1f}  max {m.max_ms:7.1f} ms"
                f"  cpu {m.cpu_p50_ms:6.1f}"
                f"  q {m.queries:2}  rows {m.rows:3}  {flag}",
                flush=True,
            )
            for t, sql in m.slowest:
                print(f"      {t:7.1f} ms  {sql[:400]}", flush=True)
    load = os.getloadavg()
    worst = max(results, key=lambda m: m.p95_ms) if results else None
    print()
    print("| user | page | N | p50 ms | p95 ms | max ms | CPU p50 ms | queries | rows | p95 < 50 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for m in results:
        verdict = "yes" if m.ok else "no"
        cells = [m.user, m.name, m.n, f"{m.p50_ms:.1f}", f"{m.p95_ms:.1f}", f"{m.max_ms:.1f}"]
        cells += [f"{m.cpu_p50_ms:.1f}", m.queries, m.rows, verdict]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", end="")
    print(f"; run time {time.perf_counter() - t_start:.0f} s")
    if worst:
        every = all(m.ok for m in results)
        print(f"worst p95: {worst.p95_ms:.1f} ms ({worst.user}, {worst.name}); ", end="")
        print(f"all under {TARGET_P95_MS:.0f} ms: {every}")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(m) for m in results], ensure_ascii=False, indent=1))
    return 0 if results and all(m.ok for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())

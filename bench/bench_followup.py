"""The follow-up worklist at scale (issue 16: "the follow-up worklist p95 < 50 ms at 1,000,000 tickets").

In process, through Django's test Client (middleware, view, selectors, template), as bench_queues.py:
signed in as an agent (agent1), a team lead (tech1) and a supervisor (cs_lead) of a data set made by
`herdesk bench generate` (or bench/run.py), it times the worklist (mine, my team, everyone, overdue,
completed), the sidebar's count fragment and the follow-up rate page, N times each after a warm-up,
and prints p50 / p95 / max and the queries per request.

The generated data set has follow-up clocks but no follow-up tasks (the app is newer than the
generator): `--seed-tasks` first writes one task per follow-up clock, the way the periodic job would
(running → to do, met → completed in time, breached and stopped → completed late, breached and
running → to do and overdue; owner = the ticket's assignee and team). That is the only write; the
timing itself runs on a read-only connection.

    # SQLite, small (what the helper ran)
    DATABASE_URL=sqlite:////tmp/fubench.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/fubench.sqlite3 .venv/bin/python manage.py bench generate --tickets 20000
    DATABASE_URL=sqlite:////tmp/fubench.sqlite3 .venv/bin/python bench/bench_followup.py --seed-tasks
    # PostgreSQL, 1,000,000 tickets (the bench/run.py data set)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/herdesk_bench \
        .venv/bin/python bench/bench_followup.py --seed-tasks

Options: --n (default 100), --users, --json PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("HERDESK_VAR_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("HERDESK_EMBEDDED_SCHEDULER", "false")
os.environ.setdefault("HERDESK_LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.pop("REDIS_URL", None)

import benchlib as bl  # noqa: E402

TARGET_P95_MS = 50.0
DEFAULT_USERS = ("agent1", "tech1", "cs_lead")
BATCH = 5000


@dataclass
class Measured:
    name: str
    user: str
    path: str
    n: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    queries: int
    rows: int
    status: int

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.p95_ms < TARGET_P95_MS


def seed_tasks() -> int:
    """One task per follow-up clock without one (bulk, batches of 5,000). Returns rows written."""
    from django.db import transaction

    from herdesk.clocks.models import Clock
    from herdesk.followup.models import FollowUpTask

    written = 0
    qs = (
        Clock.objects.filter(kind="follow_up", follow_up_task__isnull=True)
        .exclude(state="cancelled")
        .values_list(
            "pk",
            "ticket_id",
            "ticket__customer_id",
            "ticket__assignee_id",
            "ticket__team_id",
            "state",
            "started_at",
            "due_at",
            "stopped_at",
        )
        .order_by("pk")
    )
    batch: list[FollowUpTask] = []
    for pk, ticket_id, customer_id, assignee_id, team_id, _state, started, due, stopped in qs.iterator(BATCH):
        done = stopped is not None
        batch.append(
            FollowUpTask(
                ticket_id=ticket_id,
                clock_id=pk,
                customer_id=customer_id,
                assignee_id=assignee_id,
                team_id=team_id,
                state="completed" if done else "open",
                resolved_at=started,
                due_at=due,
                created_at=started,
                completed_at=stopped if done else None,
                ended_at=stopped if done else None,
                attempts=1 if done else 0,
            )
        )
        if len(batch) >= BATCH:
            with transaction.atomic():
                FollowUpTask.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            print(f"  {written:,} tasks", end="\r", flush=True)
    if batch:
        with transaction.atomic():
            FollowUpTask.objects.bulk_create(batch)
        written += len(batch)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return written


def signed_in_client(user: Any) -> Any:
    """A test Client with a session for `user` made without login() (no write): the staff backend
    (the first configured backend, axes' lockout check, cannot load a user)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore
    from django.test import Client

    session = SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    return client


def pages_for(user: Any) -> list[tuple[str, str]]:
    from django.utils import timezone

    pages = [
        ("worklist mine", "/followup/"),
        ("worklist my team", "/followup/?scope=team"),
        ("worklist team completed", "/followup/?scope=team&state=completed"),
        ("count fragment", "/followup/count/"),
    ]
    if user.has_perm("tickets.view_all_tickets"):
        pages += [
            ("worklist everyone", "/followup/?scope=all"),
            ("worklist everyone overdue", "/followup/?scope=all&due=overdue"),
            ("worklist everyone completed", "/followup/?scope=all&state=completed"),
            ("reviews", "/followup/reviews/"),
        ]
    if user.has_perm("tickets.view_reports"):
        pages.append(
            ("follow-up rate (month)", "/followup/rate/?month=" + timezone.localdate().strftime("%Y-%m"))
        )
    return pages


def measure(client: Any, user: Any, name: str, path: str, n: int) -> Measured:
    from bench_queues import capture

    for _ in range(3):
        r = client.get(path)
    with capture() as q:
        r = client.get(path)
    rows = r.content.decode().count('class="followup-row"') if r.status_code == 200 else 0
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - t0)
    ms = [t * 1000 for t in times]
    return Measured(
        name=name,
        user=user.username,
        path=path,
        n=n,
        p50_ms=statistics.median(ms),
        p95_ms=bl.percentile(ms, 95),
        max_ms=max(ms),
        queries=len(q),
        rows=rows,
        status=r.status_code,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--users", default=",".join(DEFAULT_USERS))
    ap.add_argument("--seed-tasks", action="store_true", help="write the follow-up tasks first")
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    import django

    django.setup()
    from bench_queues import _read_only
    from django.conf import settings
    from django.db import connection
    from django.db.backends.signals import connection_created

    from herdesk.followup.models import FollowUpTask
    from herdesk.staff.models import User
    from herdesk.tickets.models import Ticket

    if args.seed_tasks:
        t0 = time.perf_counter()
        n = seed_tasks()
        print(f"seeded {n:,} follow-up tasks in {time.perf_counter() - t0:.1f} s")
    connection_created.connect(_read_only)
    if connection.connection is not None:
        _read_only(None, connection)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.HERDESK_2FA_REQUIRED_ROLES = []  # the supervisor's pages, not the 2FA page
    tickets, tasks = Ticket.objects.count(), FollowUpTask.objects.count()
    print(f"{connection.vendor}: {tickets:,} tickets, {tasks:,} follow-up tasks")
    results: list[Measured] = []
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = signed_in_client(user)
        for name, path in pages_for(user):
            m = measure(client, user, name, path, args.n)
            results.append(m)
            flag = "ok " if m.ok else "SLOW" if m.status == 200 else f"{m.status}"
            print(
                f"{flag} {m.user:8} {m.name:30} p50 {m.p50_ms:6.1f}  p95 {m.p95_ms:6.1f}"
                f"  max {m.max_ms:6.1f} ms  {m.queries:2d} queries  {m.rows:3d} rows"
            )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "vendor": connection.vendor,
                    "tickets": tickets,
                    "tasks": tasks,
                    "results": [asdict(r) for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    worklists = [r for r in results if r.name.startswith("worklist")]
    return 0 if all(r.ok for r in worklists) else 1


if __name__ == "__main__":
    raise SystemExit(main())

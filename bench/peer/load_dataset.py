"""Load Herdesk's generated data set into django-helpdesk (runs in bench/peer/venv).

    PEER_DB=var/bench/peer.sqlite3 bench/peer/venv/bin/python bench/peer/load_dataset.py HERDESK.sqlite3

Same tickets (title, description, queue = team, assignee, status, priority, received time) and the
same timeline (interactions become follow-ups), read straight from Herdesk's SQLite file. Creates
the superuser `bench` (password `bench-peer`) used by the race.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_project.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

STATUS = {
    "resolved": Ticket.RESOLVED_STATUS,
    "closed": Ticket.CLOSED_STATUS,
    "cancelled": Ticket.CLOSED_STATUS,
    "merged": Ticket.DUPLICATE_STATUS,
}
PRIORITY = {"urgent": 1, "high": 2, "normal": 3, "low": 4}
BATCH = 5000


def dt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def main(source: str) -> None:
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    src = sqlite3.connect(source)
    src.row_factory = sqlite3.Row
    User = get_user_model()
    with transaction.atomic():
        if not User.objects.filter(username="bench").exists():
            User.objects.create_superuser("bench", "bench@example.cn", "bench-peer")
        users = {}
        for row in src.execute("SELECT id, username, email FROM staff_user WHERE customer_id IS NULL"):
            u, _ = User.objects.get_or_create(
                username=row["username"], defaults={"email": row["email"] or "", "is_staff": True}
            )
            users[row["id"]] = u.pk
        queues = {}
        for row in src.execute("SELECT id, code, name FROM staff_team"):
            q, _ = Queue.objects.get_or_create(
                slug=row["code"][:50],
                defaults={"title": row["name"], "escalate_days": 1, "allow_public_submission": True},
            )
            queues[row["id"]] = q.pk
        default_queue = next(iter(queues.values()))
        tickets: list[Ticket] = []
        n = 0
        for row in src.execute(
            "SELECT id, subject, description, team_id, assignee_id, status, priority, customer_id, "
            "received_at, "
            "updated_at FROM tickets_ticket ORDER BY id"
        ):
            tickets.append(
                Ticket(
                    id=row["id"],
                    title=row["subject"][:200],
                    description=row["description"],
                    queue_id=queues.get(row["team_id"], default_queue),
                    assigned_to_id=users.get(row["assignee_id"]),
                    status=STATUS.get(row["status"], Ticket.OPEN_STATUS),
                    priority=PRIORITY.get(row["priority"], 3),
                    submitter_email=f"customer{row['customer_id']}@example.cn",
                    created=dt(row["received_at"]),
                    modified=dt(row["updated_at"]),
                )
            )
            if len(tickets) >= BATCH:
                Ticket.objects.bulk_create(tickets)
                n += len(tickets)
                tickets = []
        Ticket.objects.bulk_create(tickets)
        n += len(tickets)
        followups: list[FollowUp] = []
        f = 0
        for row in src.execute(
            "SELECT ticket_id, kind, body, is_public, author_id, occurred_at "
            "FROM tickets_interaction ORDER BY id"
        ):
            followups.append(
                FollowUp(
                    ticket_id=row["ticket_id"],
                    title=row["kind"],
                    comment=row["body"],
                    public=bool(row["is_public"]),
                    user_id=users.get(row["author_id"]),
                    date=dt(row["occurred_at"]),
                )
            )
            if len(followups) >= BATCH:
                FollowUp.objects.bulk_create(followups)
                f += len(followups)
                followups = []
        FollowUp.objects.bulk_create(followups)
        f += len(followups)
    print(f"django-helpdesk: loaded {n:,} tickets and {f:,} follow-ups in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1])

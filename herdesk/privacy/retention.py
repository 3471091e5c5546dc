"""Retention per data class and the monthly archive (CLS-3, SEC-4; issue #14).

The policy is HERDESK_RETENTION (months per data class, settings); `retention_run` is the periodic
job (idempotent: it does only what is due, so running it every few hours, late or twice is safe):

1. Archive: each finished month (ended more than `archive_grace_days` ago; records are final within
   24 hours, CLS-3) whose tickets closed in it are not yet archived is sealed into the archive store:
   `HERDESK_ARCHIVE_DIR/records-YYYY-MM.jsonl.gz`, one line per ticket (figures in clear: number,
   state, channel, dates, clocks; texts, timeline and the customer's details encrypted under the
   customer's data key, so an erasure shreds the archive too), its SHA-256 and each line's
   (`RecordArchive`, `ArchivedTicket`). Tickets stay in the database: counts, clocks and KPIs are
   untouched. `herdesk retention find NUMBER` reads a ticket back from the archive (audited).
2. Purge what is past retention: archive files older than `archive_months` (deleted), raw inbound
   payloads older than `raw_inbound_months` (emptied; the parsed ticket stays), customers with no
   ticket for `inactive_customer_months` (erased like a data-subject erasure: key destroyed, texts
   redacted, statistics kept).
3. Report: a `RetentionRun` row and an audit entry `retention.run` with the counts.
Kept without limit on purpose: the audit chain (SEC-2) and the aggregate figures.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from herdesk.audit.services import audit_record
from herdesk.common import crypto
from herdesk.customers.models import Customer
from herdesk.inbound.models import InboundPayload
from herdesk.tickets.models import Ticket

from .models import ArchivedTicket, RecordArchive, RetentionRun
from .services import subject_erase

FINISHED = ("closed", "cancelled", "merged")
ARCHIVE_CONTEXT = "privacy.archive.ticket"
DEFAULTS = {
    "archive_grace_days": 5,
    "archive_months": 36,
    "raw_inbound_months": 6,
    "inactive_customer_months": 60,
}


def policy() -> dict[str, int]:
    return {**DEFAULTS, **getattr(settings, "HERDESK_RETENTION", {})}


def archive_dir() -> Path:
    return Path(getattr(settings, "HERDESK_ARCHIVE_DIR", "") or Path(settings.VAR_DIR) / "archive")


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _month_start(year: int, month: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 1))


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + month // 12, month % 12 + 1)


def months_ago(now: dt.datetime, months: int) -> dt.datetime:
    local = _local(now)
    y, m = local.year, local.month - months
    while m < 1:
        y, m = y - 1, m + 12
    day = min(local.day, 28)
    return timezone.make_aware(dt.datetime(y, m, day, local.hour, local.minute))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _ticket_line(ticket: Any) -> dict[str, Any]:

    customer = ticket.customer
    private = {
        "subject": ticket.subject,
        "description": ticket.description,
        "customer": {
            "name": customer.name,
            "address": customer.address,
            "contacts": [
                {"name": c.name, "phone": c.phone, "email": c.email} for c in customer.contacts.all()
            ],
        },
        "timeline": [
            {"at": _iso(i.occurred_at), "kind": i.kind, "direction": i.direction, "text": i.body}
            for i in ticket.interactions.all()
        ],
    }
    text = json.dumps(private, ensure_ascii=False, sort_keys=True)
    kid = customer.data_key_id
    sealed = (
        crypto.encrypt_for_subject(text, kid=kid, context=ARCHIVE_CONTEXT)
        if kid
        else crypto.encrypt(text, context=ARCHIVE_CONTEXT)
    )
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
        "channel": ticket.channel,
        "problem_type": ticket.problem_type,
        "received_at": _iso(ticket.received_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "clocks": [
            {
                "kind": c.kind,
                "state": c.state,
                "started_at": _iso(c.started_at),
                "due_at": _iso(c.due_at),
                "original_due_at": _iso(c.original_due_at),
                "stopped_at": _iso(c.stopped_at),
            }
            for c in ticket.clocks.all()
        ],
        "sealed": str(sealed),
    }


def archive_month(year: int, month: int) -> RecordArchive | None:
    """Seal the tickets closed in the month into the archive store; None if another run did it."""

    label = f"{year:04d}-{month:02d}"
    try:
        with transaction.atomic():
            archive = RecordArchive.objects.create(month=label)
    except IntegrityError:
        return None
    start, end = _month_start(year, month), _month_start(*_next(year, month))
    tickets = (
        Ticket.objects.filter(status__in=FINISHED, closed_at__gte=start, closed_at__lt=end)
        .select_related("customer")
        .prefetch_related("customer__contacts", "interactions", "clocks")
        .order_by("closed_at", "pk")
    )
    folder = archive_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"records-{label}.jsonl.gz"
    entries: list[ArchivedTicket] = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        for n, ticket in enumerate(tickets.iterator(chunk_size=500), 1):
            line = json.dumps(_ticket_line(ticket), ensure_ascii=False, sort_keys=True).encode() + b"\n"
            gz.write(line)
            entries.append(
                ArchivedTicket(
                    archive=archive,
                    ticket_id=ticket.pk,
                    number=ticket.number,
                    line=n,
                    sha256=hashlib.sha256(line).hexdigest(),
                )
            )
    ArchivedTicket.objects.bulk_create(entries, batch_size=1000)
    archive.path = path.name
    archive.sha256 = _sha256(path)
    archive.size = path.stat().st_size
    archive.tickets = len(entries)
    archive.save(update_fields=["path", "sha256", "size", "tickets"])
    return archive


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _months_due(now: dt.datetime, grace_days: int) -> list[tuple[int, int]]:
    """Finished months from the first closed ticket up to the last month that ended grace_days ago."""

    first = Ticket.objects.filter(status__in=FINISHED, closed_at__isnull=False).aggregate(m=Min("closed_at"))[
        "m"
    ]
    if first is None:
        return []
    limit = _local(now - dt.timedelta(days=grace_days))
    y, m = _local(first).year, _local(first).month
    done = set(RecordArchive.objects.values_list("month", flat=True))
    due = []
    while _month_start(*_next(y, m)) <= limit:
        if f"{y:04d}-{m:02d}" not in done:
            due.append((y, m))
        y, m = _next(y, m)
    return due


def archive_verify() -> list[str]:
    """Every archive file against its checksum, and every line against its entry: problems found."""
    problems = []
    for archive in RecordArchive.objects.filter(purged_at__isnull=True).exclude(path=""):
        path = archive_dir() / archive.path
        if not path.exists():
            problems.append(f"{archive.month}: file missing")
            continue
        if _sha256(path) != archive.sha256:
            problems.append(f"{archive.month}: file checksum differs")
            continue
        sums = dict(archive.entries.values_list("line", "sha256"))
        with gzip.open(path, "rb") as fh:
            for n, line in enumerate(fh, 1):
                if sums.get(n) != hashlib.sha256(line).hexdigest():
                    problems.append(f"{archive.month}: line {n} differs from its entry")
    return problems


def archived_ticket_read(*, actor: Any, number: str) -> list[dict[str, Any]]:
    """The archived records of a ticket (every month it was archived in), decrypted where the
    customer's key still exists (`private` is None once shredded). A personal-data read: audited."""

    out = []
    for entry in ArchivedTicket.objects.filter(number=number, archive__purged_at__isnull=True).select_related(
        "archive"
    ):
        with gzip.open(archive_dir() / entry.archive.path, "rb") as fh:
            line = next(itertools.islice(fh, entry.line - 1, None), b"")
        if hashlib.sha256(line).hexdigest() != entry.sha256:
            raise ValueError(f"archived record of {number} in {entry.archive.month} was altered")
        record = json.loads(line)
        text = crypto.decrypt(record.pop("sealed"), context=ARCHIVE_CONTEXT)
        record["private"] = json.loads(text) if text else None
        record["archive"] = entry.archive.month
        out.append(record)
    audit_record(
        actor=actor,
        action="pii.read",
        object_type="archive",
        object_id=out[0]["id"] if out else 0,
        data={"purpose": "archive_read", "number": number, "found": len(out)},
    )
    return out


def _purge_archives(now: dt.datetime, months: int) -> int:
    cutoff = months_ago(now, months)
    label = f"{_local(cutoff):%Y-%m}"
    n = 0
    for archive in RecordArchive.objects.filter(purged_at__isnull=True, month__lt=label):
        if archive.path:
            (archive_dir() / archive.path).unlink(missing_ok=True)
        archive.entries.all().delete()
        archive.purged_at = now
        archive.save(update_fields=["purged_at"])
        n += 1
    return n


def _purge_raw_inbound(now: dt.datetime, months: int) -> int:

    cutoff = months_ago(now, months)
    ids = list(
        InboundPayload.objects.filter(received_at__lt=cutoff)
        .exclude(state="pending")
        .exclude(size=0)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        InboundPayload.objects.filter(pk=pk).update(raw=b"", size=0, meta={"purged": True})
    return len(ids)


def _erase_inactive_customers(now: dt.datetime, months: int, actor: Any) -> int:
    from django.db.models import Max, Q

    cutoff = months_ago(now, months)
    stale = (
        Customer.objects.filter(created_at__lt=cutoff)
        .exclude(name__startswith="已删除客户")
        .annotate(last=Max("tickets__received_at"))
        .filter(Q(last__lt=cutoff) | Q(last__isnull=True))
        .exclude(pk__in=Ticket.objects.exclude(status__in=FINISHED).values("customer_id"))
        .values_list("pk", flat=True)
    )
    n = 0
    for pk in list(stale):
        subject_erase(actor=actor, customer_id=pk)
        n += 1
    return n


def retention_run(*, now: dt.datetime | None = None, actor: Any = "retention") -> dict[str, Any]:
    """The periodic job (module docstring). Returns the report (also stored and audited)."""
    now = now or timezone.now()
    rules = policy()
    report: dict[str, Any] = {"policy": rules, "archived": [], "at": now.isoformat()}
    for year, month in _months_due(now, rules["archive_grace_days"]):
        archive = archive_month(year, month)
        if archive is not None:
            report["archived"].append(
                {"month": archive.month, "tickets": archive.tickets, "sha256": archive.sha256}
            )
    report["archives_purged"] = _purge_archives(now, rules["archive_months"])
    report["raw_payloads_purged"] = _purge_raw_inbound(now, rules["raw_inbound_months"])
    report["customers_erased"] = _erase_inactive_customers(now, rules["inactive_customer_months"], actor)
    work = report["archived"] or any(
        report[k] for k in ("archives_purged", "raw_payloads_purged", "customers_erased")
    )
    if work:
        RetentionRun.objects.create(ran_at=now, report=report)
        audit_record(
            actor=actor,
            action="retention.run",
            object_type="retention",
            object_id=0,
            data={k: v for k, v in report.items() if k != "policy"},
        )
    return report

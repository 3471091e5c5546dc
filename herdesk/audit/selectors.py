"""Reads of the audit log (SEC-2). Every page, service, admin and command that reads AuditEntry rows
goes through these; services.py only appends to the chain (audit_record) and checks it
(audit_verify, audit_anchor). A test keeps `AuditEntry.objects` out of every other module.

The log is append-only and ordered by `seq`; these return querysets (callers slice or count them)
or plain values, oldest first unless said otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from .models import AuditChainHead, AuditEntry


def audit_entries(
    *,
    object_type: str | None = None,
    object_id: Any = None,
    action: str | None = None,
    actions: Iterable[str] | None = None,
    action_prefix: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching every given criterion, oldest first (`seq`). `object_id` is compared as the
    text it is stored as (audit_record keeps str(pk))."""
    qs = AuditEntry.objects.all()
    if object_type is not None:
        qs = qs.filter(object_type=object_type)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    if action is not None:
        qs = qs.filter(action=action)
    if actions is not None:
        qs = qs.filter(action__in=list(actions))
    if action_prefix is not None:
        qs = qs.filter(action__startswith=action_prefix)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    return qs.order_by("seq")


def object_history(*, object_type: str, object_id: Any) -> list[AuditEntry]:
    """The audited steps of one object, oldest first: what `audit verify` checks, as a page shows it."""
    return list(audit_entries(object_type=object_type, object_id=object_id))


def audit_count(**criteria: Any) -> int:
    """How many entries match (the criteria of `audit_entries`): rate limits, resubmissions."""
    return audit_entries(**criteria).count()


def audit_actor_ids(**criteria: Any) -> set[int]:
    """The staff who did the matching steps (the criteria of `audit_entries`); system steps skipped."""
    ids = audit_entries(**criteria).order_by().values_list("actor_id", flat=True)
    return {i for i in ids if i is not None}


def chain_batch(*, after_seq: int, batch: int) -> list[AuditEntry]:
    """The next `batch` entries of the chain after `after_seq`, in order (audit_verify's walk)."""
    return list(AuditEntry.objects.filter(seq__gt=after_seq).order_by("seq")[:batch])


def chain_head() -> AuditChainHead | None:
    """The chain's head row (last seq and hash, where keyed hashing began); None before any entry."""
    return AuditChainHead.objects.filter(id=1).first()


def admin_queryset() -> QuerySet[AuditEntry]:
    """What the Django admin lists (read only), newest first."""
    return AuditEntry.objects.order_by("-seq")

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q

from herdesk.audit.models import AuditEntry
from herdesk.audit.selectors import object_history
from herdesk.common.rowsql import column, row_columns, row_instance, table

from .choices import VersionStatus
from .models import ClockDefinition, PolicyVersion, ServicePolicy


def policy_version_in_force(*, at: datetime) -> PolicyVersion | None:
    """The approved version of the active policy with the latest effective date at or before `at`
    (with its policy, whose code names the version).

    Plain SQL written once per process (issue 20: asked for every ticket created, and compiling the
    ORM query was a tenth of a creation's CPU). It is `_in_force_queryset` exactly — the same join,
    filter and ORDER BY, so each database orders NULL effective dates as the ORM does; a test runs
    both on both databases."""
    conn = connection
    sql = _IN_FORCE_SQL.get(conn.vendor)
    if sql is None:
        V, P = PolicyVersion, ServicePolicy
        eff = f"v.{column(V, 'effective_from')}"
        sql = _IN_FORCE_SQL[conn.vendor] = (
            f"SELECT {row_columns(V, 'v')}, {row_columns(P, 'p')} "
            f"FROM {table(V)} v INNER JOIN {table(P)} p ON p.{column(P, 'pk')} = v.{column(V, 'policy')} "
            f"WHERE p.{column(P, 'is_active')} = %s AND v.{column(V, 'status')} = %s "
            f"AND ({eff} <= %s OR {eff} IS NULL) "
            f"ORDER BY {eff} DESC, v.{column(V, 'number')} DESC LIMIT 1"
        )
    with conn.cursor() as cur:
        cur.execute(sql, [True, VersionStatus.APPROVED.value, conn.ops.adapt_datetimefield_value(at)])
        row = cur.fetchone()
    if row is None:
        return None
    version: PolicyVersion = row_instance(PolicyVersion, row)
    version.policy = row_instance(ServicePolicy, row, len(PolicyVersion._meta.concrete_fields))
    return version


_IN_FORCE_SQL: dict[str, str] = {}


def _in_force_queryset(at: datetime) -> Any:
    """The ORM spelling of `policy_version_in_force` (its tests compare the two)."""
    return (
        PolicyVersion.objects.filter(policy__is_active=True, status=VersionStatus.APPROVED)
        .select_related("policy")
        .filter(Q(effective_from__lte=at) | Q(effective_from__isnull=True))
        .order_by("-effective_from", "-number")
    )


def policy_versions() -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.select_related("policy", "created_by", "submitted_by", "approved_by").order_by(
            "-policy__is_active", "policy__code", "-number"
        )
    )


def version_get(pk: int) -> PolicyVersion:
    """One version with its policy and people (raises PolicyVersion.DoesNotExist)."""
    return PolicyVersion.objects.select_related("policy", "created_by", "submitted_by", "approved_by").get(
        pk=pk
    )


def policy_in_force() -> ServicePolicy | None:
    return ServicePolicy.objects.filter(is_active=True).first()


def policy_version_latest_approved() -> PolicyVersion | None:
    """The approved version of the active policy with the latest effective time: the one in force,
    or one approved to take effect later. A new draft copies it, so a scheduled change is kept."""
    return (
        PolicyVersion.objects.filter(policy__is_active=True, status=VersionStatus.APPROVED)
        .order_by(F("effective_from").desc(nulls_last=True), "-number")
        .first()
    )


def versions_awaiting_approval() -> int:
    return PolicyVersion.objects.filter(status=VersionStatus.SUBMITTED).count()


def version_history(version: PolicyVersion) -> list[AuditEntry]:
    """The audited steps of a version (drafted, copied, clocks edited, submitted, approved/rejected),
    oldest first: read from the audit chain, so the page shows exactly what `audit verify` checks."""
    return object_history(object_type="policy_version", object_id=version.pk)


def _clock_key(c: ClockDefinition) -> tuple[str, str, str]:
    """What identifies "the same clock" across versions: its kind, scope and start event."""
    return (c.kind, json.dumps(c.applies_to, sort_keys=True, ensure_ascii=False), c.start_event)


DIFF_FIELDS = (
    "target",
    "calendar_code",
    "warn_at_percent",
    "warn_actions",
    "breach_actions",
    "stop_event",
    "pause_statuses",
    "restarts",
    "label",
)


@dataclass
class ClockDiff:
    kind: str
    applies_to: dict[str, Any]
    start_event: str
    status: str  # "added", "removed", "changed", "same"
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, old, new)
    old: ClockDefinition | None = None
    new: ClockDefinition | None = None


def version_diff(old: PolicyVersion, new: PolicyVersion) -> list[ClockDiff]:
    """Clock-by-clock differences from ``old`` to ``new`` (any two versions, of any policies).

    Clocks are matched by kind, applies_to and start event; a clock only in ``new`` is "added", only
    in ``old`` "removed"; matched clocks list each field whose value differs.
    """
    old_clocks = {_clock_key(c): c for c in old.clocks.all()}
    new_clocks = {_clock_key(c): c for c in new.clocks.all()}
    rows: list[ClockDiff] = []
    for key, n in new_clocks.items():
        o = old_clocks.get(key)
        if o is None:
            rows.append(ClockDiff(n.kind, n.applies_to, n.start_event, "added", new=n))
            continue
        changes = [(f, getattr(o, f), getattr(n, f)) for f in DIFF_FIELDS if getattr(o, f) != getattr(n, f)]
        rows.append(
            ClockDiff(n.kind, n.applies_to, n.start_event, "changed" if changes else "same", changes, o, n)
        )
    for key, o in old_clocks.items():
        if key not in new_clocks:
            rows.append(ClockDiff(o.kind, o.applies_to, o.start_event, "removed", old=o))
    return rows

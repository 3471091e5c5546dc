"""Corrective and preventive actions (CMP-3): `capa_transition` enforces `lifecycle.CAPA_ACTIONS`;
the +30/+90-day effectiveness checks look for recurrences (CMP-5) and reopen the CAPA."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.attachments.services import attachment_add
from herdesk.clocks.services import compute_due
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify

from ..choices import CapaKind, CapaStatus, CheckResult, Stage
from ..lifecycle import CAPA_ACTIONS
from ..models import Capa, CapaCheck, Complaint, RootCause
from ._common import (
    CALENDAR,
    EFFECTIVENESS_DAYS,
    WARN_PERCENT,
    _audit,
    _lock,
    _now,
    _refuse,
    _text,
    _timeline,
)

# --- CAPA ------------------------------------------------------------------------------------------


def _capa_lock(capa: Capa) -> Capa:
    return Capa.objects.select_for_update().select_related("complaint__ticket").get(pk=capa.pk)


@transaction.atomic
def capa_create(
    *,
    complaint: Complaint,
    actor: Any,
    kind: str,
    description: str,
    owner: Any,
    working_days: int,
    expected_effect: str = "",
    at: dt.datetime | None = None,
) -> Capa:
    """CMP-3: a corrective or preventive action with an owner and a due date in working days (the
    office calendar, with its 调休 days; warning at 80 % of the working time)."""
    at = _now(at)
    complaint = _lock(complaint)
    errors: dict[str, str] = {}
    if kind not in CapaKind.values:
        errors["kind"] = _("Choose corrective or preventive.")
    text = _text(errors, "description", description)
    effect = _text(errors, "expected_effect", expected_effect, required=False)
    if owner is None or not getattr(owner, "is_active", False) or getattr(owner, "customer_id", None):
        errors["owner"] = _("The owner must be an active member of staff.")
    if not isinstance(working_days, int) or not 1 <= working_days <= 250:
        errors["working_days"] = _("Between 1 and 250 working days.")
    if complaint.stage == Stage.CLOSED:
        errors["complaint"] = _("The complaint is closed.")
    _refuse(errors)
    due, warn = compute_due(
        calendar_code=CALENDAR, target=f"{working_days}wd", start=at, warn_percent=WARN_PERCENT
    )
    capa = Capa.objects.create(
        complaint=complaint,
        kind=kind,
        description=text,
        expected_effect=effect,
        owner=owner,
        working_days=working_days,
        due_at=due,
        warn_at=warn,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=at,
    )
    _timeline(
        complaint,
        actor,
        _("CAPA %(kind)s added: %(text)s (owner %(owner)s, due %(due)s)")
        % {
            "kind": CapaKind(kind).label,
            "text": text[:200],
            "owner": str(owner),
            "due": timezone.localtime(due).strftime("%Y-%m-%d"),
        },
        at,
        action="capa_add",
        capa=capa.pk,
    )
    _audit(actor, "capa.add", complaint, capa=capa.pk, kind=kind, owner=owner.username, due=due.isoformat())
    notify(
        users=[owner],
        kind=NotificationKind.OTHER,
        ticket=complaint.ticket,
        exclude=actor,
        data={
            "text": _("CAPA for complaint %(t)s assigned to you: %(d)s")
            % {"t": complaint.ticket.number, "d": text[:80]}
        },
    )
    return capa


@transaction.atomic
def capa_transition(
    *,
    capa: Capa,
    action: str,
    actor: Any,
    evidence: str = "",
    uploads: Iterable[Any] = (),
    reason: str = "",
    at: dt.datetime | None = None,
) -> Capa:
    """One CAPA step (lifecycle.CAPA_ACTIONS). Completing needs evidence of completion (text or a
    file) and schedules the effectiveness checks at +30 and +90 days; a reopen (a recurrence)
    restarts the due date from now with the same number of working days."""

    at = _now(at)
    capa = _capa_lock(capa)
    if action not in CAPA_ACTIONS:
        raise DomainError(_("Unknown CAPA action “%(a)s”.") % {"a": str(action)[:30]}, code="invalid")
    sources, target = CAPA_ACTIONS[action]
    if capa.status not in sources:
        raise TransitionNotAllowed(
            _("A CAPA that is “%(from)s” cannot be moved by “%(action)s”.")
            % {"from": CapaStatus(capa.status).label, "action": action}
        )
    uploads = list(uploads)
    errors: dict[str, str] = {}
    text = _text(errors, "evidence", evidence, required=action == "complete" and not uploads)
    _refuse(errors)
    old = capa.status
    capa.status = target
    if action == "complete":
        capa.evidence = text
        capa.completed_at = at
        files = [attachment_add(ticket=capa.complaint.ticket, actor=actor, upload=u, at=at) for u in uploads]
        if files:
            capa.evidence_files.add(*files)
        capa.checks.filter(performed_at__isnull=True).delete()
        CapaCheck.objects.bulk_create(
            [CapaCheck(capa=capa, days=d, due_at=at + dt.timedelta(days=d)) for d in EFFECTIVENESS_DAYS]
        )
    elif action == "reopen":
        capa.reopen_count += 1
        capa.completed_at = None
        capa.checks.filter(performed_at__isnull=True).delete()
        capa.due_at, capa.warn_at = compute_due(
            calendar_code=CALENDAR, target=f"{capa.working_days}wd", start=at, warn_percent=WARN_PERCENT
        )
        capa.warned_at = capa.breached_at = None
        notify(
            users=[capa.owner_id, capa.complaint.owner_id],
            kind=NotificationKind.OTHER,
            ticket=capa.complaint.ticket,
            data={
                "text": _("CAPA of complaint %(t)s reopened: %(r)s")
                % {"t": capa.complaint.ticket.number, "r": reason[:120]}
            },
        )
    capa.save()
    _timeline(
        capa.complaint,
        actor,
        _("CAPA #%(n)s: %(from)s → %(to)s")
        % {"n": capa.pk, "from": CapaStatus(old).label, "to": CapaStatus(target).label}
        + (f" — {(reason or text)[:300]}" if (reason or text) else ""),
        at,
        action=f"capa_{action}",
        capa=capa.pk,
    )
    _audit(actor, f"capa.{action}", capa.complaint, capa=capa.pk, **{"from": old, "to": target})
    return capa


def recurrences(*, capa: Capa, since: dt.datetime, until: dt.datetime) -> list[Complaint]:
    """New complaints (received in [since, until), other than the CAPA's own) with the same cause
    category, product or batch as the CAPA's complaint (CMP-5)."""
    origin = capa.complaint
    products = {p for p in origin.lots.values_list("product_id", flat=True) if p}
    if origin.ticket.product_id:
        products.add(origin.ticket.product_id)
    batches = {b for b in origin.lots.values_list("batch", flat=True) if b}
    category_id = RootCause.objects.filter(complaint=origin).values_list("category_id", flat=True).first()
    same = Q(pk__in=[])
    if category_id:
        same |= Q(root_cause__category_id=category_id)
    if products:
        same |= Q(ticket__product_id__in=products) | Q(lots__product_id__in=products)
    if batches:
        same |= Q(lots__batch__in=batches)
    return list(
        Complaint.objects.filter(same, received_at__gte=since, received_at__lt=until)
        .exclude(pk=origin.pk)
        .select_related("ticket")
        .distinct()
        .order_by("received_at")
    )


@transaction.atomic
def capa_check_run(*, check: CapaCheck, at: dt.datetime | None = None) -> CapaCheck:
    """Perform one effectiveness check: a recurrence since completion reopens the CAPA; the +90-day
    check without one marks it effective."""
    at = _now(at)
    check = CapaCheck.objects.select_for_update().get(pk=check.pk)
    if check.performed_at is not None:
        return check
    capa = Capa.objects.select_related("complaint__ticket").get(pk=check.capa_id)
    since = capa.completed_at or capa.created_at
    found = recurrences(capa=capa, since=since, until=at)
    check.performed_at = at
    check.recurrences = [c.ticket.number for c in found]
    check.result = CheckResult.RECURRED if found else CheckResult.NO_RECURRENCE
    check.save()
    if found:
        capa_transition(
            capa=capa,
            action="reopen",
            actor=None,
            at=at,
            reason=_("the +%(d)s-day check found a recurrence: %(list)s")
            % {"d": check.days, "list": ", ".join(check.recurrences[:10])},
        )
    else:
        _timeline(
            capa.complaint,
            None,
            _("CAPA #%(n)s: +%(d)s-day effectiveness check, no recurrence.")
            % {"n": capa.pk, "d": check.days},
            at,
            action="capa_check",
            capa=capa.pk,
        )
        _audit(None, "capa.check", capa.complaint, capa=capa.pk, days=check.days, result=check.result)
        if check.days == max(EFFECTIVENESS_DAYS) and capa.status == CapaStatus.DONE:
            capa_transition(capa=capa, action="confirm_effective", actor=None, at=at)
    return check

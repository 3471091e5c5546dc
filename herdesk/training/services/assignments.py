"""Assignments: a module (and its exams) given to a staff member. `assignment_create` is the entry
point other areas use (quality: a failed review criterion assigns the linked module), idempotent per
(agent, module code, source reference)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError

from ..choices import (
    ASSIGNMENT_TRANSITIONS,
    AssignmentStatus,
    AttemptStatus,
)
from ..models import (
    Assignment,
    Module,
    OnboardingPlan,
)
from ._base import (
    _local_today,
    _move,
    _person,
    _require_staff,
    _tell,
    working_days_after,
)
from .hold import onboarding_check


@transaction.atomic
def assignment_create(
    *, agent: Any, module_code: str, reason: str, source_ref: str, actor: Any
) -> Assignment:
    """Assign a module (and its exams) to a staff member, due `module.due_working_days` working days
    from now. Idempotent per (agent, module_code, source_ref): the same source assigning twice gets
    the first assignment back, unchanged and without a second notice. The agent is notified; audited."""
    _require_staff(agent, "agent")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the assignment.")})
    source_ref = (source_ref or "").strip()[:120]
    module = Module.objects.filter(code=(module_code or "").strip().lower()).first()
    if module is None:
        raise DomainError(
            _("There is no training module with the code “%(c)s”.") % {"c": (module_code or "")[:40]},
            code="invalid",
            field="module_code",
        )
    existing = Assignment.objects.filter(agent=agent, module=module, source_ref=source_ref).first()
    if existing is not None:
        return existing
    if not module.active:
        raise DomainError(
            _("The module “%(c)s” is retired.") % {"c": module.code}, code="invalid", field="module_code"
        )
    now = timezone.now()
    a = Assignment.objects.create(
        agent=agent,
        module=module,
        reason=reason[:300],
        source_ref=source_ref,
        due_on=working_days_after(_local_today(now), module.due_working_days),
        assigned_by=_person(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="training.assigned",
        object_type="training_assignment",
        object_id=a.pk,
        data={
            "agent": agent.pk,
            "module": module.code,
            "reason": a.reason,
            "source": source_ref,
            "due": str(a.due_on),
        },
    )
    _tell(
        [agent],
        key=f"training-assigned:{a.pk}",
        text=_("Training assigned: %(m)s, due %(d)s (%(r)s).")
        % {"m": module.title, "d": a.due_on, "r": a.reason},
        url=f"/training/modules/{module.pk}/",
    )
    return a


def _assignment_complete(a: Assignment, *, actor: Any, at: datetime) -> None:
    _move(a, AssignmentStatus.COMPLETED, ASSIGNMENT_TRANSITIONS)
    a.completed_at = at
    a.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=actor,
        action="training.assignment_completed",
        object_type="training_assignment",
        object_id=a.pk,
        data={"agent": a.agent_id, "module": a.module.code},
    )
    if a.source_ref.startswith("onboarding:"):
        plan = OnboardingPlan.objects.filter(agent_id=a.agent_id).first()
        if plan is not None:
            onboarding_check(plan=plan, at=at)


def _assignment_check(a: Assignment, *, actor: Any, at: datetime) -> bool:
    """Completed when every active exam of the module has a passed attempt on this assignment."""
    if a.status != AssignmentStatus.ASSIGNED:
        return False
    exam_ids = set(a.module.exams.filter(active=True).values_list("pk", flat=True))
    if not exam_ids:
        return False
    passed = set(a.attempts.filter(status=AttemptStatus.PASSED).values_list("exam_id", flat=True))
    if exam_ids <= passed:
        _assignment_complete(a, actor=actor, at=at)
        return True
    return False


@transaction.atomic
def assignment_mark_studied(*, assignment: Assignment, actor: Any, at: datetime | None = None) -> Assignment:
    """A module without an exam is completed when its agent confirms having studied the materials."""
    at = at or timezone.now()
    a = Assignment.objects.select_for_update().select_related("module").get(pk=assignment.pk)
    if getattr(actor, "pk", None) != a.agent_id:
        raise DomainError(_("Only the assigned person can confirm this."), code="forbidden")
    if a.module.exams.filter(active=True).exists():
        raise DomainError(_("This module is completed by passing its exams."), code="invalid")
    _assignment_complete(a, actor=actor, at=at)
    return a


@transaction.atomic
def assignment_cancel(*, assignment: Assignment, actor: Any, reason: str) -> Assignment:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    a = Assignment.objects.select_for_update().select_related("module").get(pk=assignment.pk)
    _move(a, AssignmentStatus.CANCELLED, ASSIGNMENT_TRANSITIONS)
    a.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="training.assignment_cancelled",
        object_type="training_assignment",
        object_id=a.pk,
        data={"reason": reason[:300]},
    )
    if a.source_ref.startswith("onboarding:"):
        plan = OnboardingPlan.objects.filter(agent_id=a.agent_id).first()
        if plan is not None:
            onboarding_check(plan=plan)
    return a

"""The end of onboarding and the ticket hold (`staff.User.ticket_hold`): a plan completes, and the
hold is lifted, when its last day has come and every module is done, or a supervisor overrides it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.staff.models import TicketHold
from herdesk.staff.services import user_ticket_hold_set

from ..choices import (
    PLAN_TRANSITIONS,
    AssignmentStatus,
    PlanStatus,
)
from ..models import (
    Assignment,
    OnboardingPlan,
)
from ._base import (
    _local_today,
    _move,
    _person,
    _tell,
)


def onboarding_progress(plan: OnboardingPlan) -> tuple[int, int]:
    """(completed, total) of the plan's modules (cancelled ones left out)."""
    qs = Assignment.objects.filter(agent_id=plan.agent_id, source_ref=plan.source_ref).exclude(
        status=AssignmentStatus.CANCELLED
    )
    return qs.filter(status=AssignmentStatus.COMPLETED).count(), qs.count()


@transaction.atomic
def onboarding_check(*, plan: OnboardingPlan, at: datetime | None = None) -> bool:
    """Complete the plan once its last working day has come and every module is completed; the
    agent is released for tickets. Returns whether it completed now."""
    at = at or timezone.now()
    plan = OnboardingPlan.objects.select_for_update().select_related("agent").get(pk=plan.pk)
    if plan.status == PlanStatus.COMPLETED or _local_today(at) < plan.ends_on:
        return False
    done, total = onboarding_progress(plan)
    if done < total:
        return False
    _move(plan, PlanStatus.COMPLETED, PLAN_TRANSITIONS)
    plan.completed_at = at
    plan.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=None,
        action="training.onboarding_completed",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": plan.agent_id, "modules": total},
    )
    user_ticket_hold_set(
        user=plan.agent, hold=TicketHold.NONE, actor=None, reason=f"onboarding plan {plan.pk} completed"
    )
    _tell(
        [plan.agent_id],
        key=f"training-onboarded:{plan.pk}",
        text=_("Onboarding completed: you can take tickets now."),
        url="/training/",
    )
    return True


@transaction.atomic
def onboarding_override(*, plan: OnboardingPlan, actor: Any, reason: str) -> OnboardingPlan:
    """A supervisor lets the agent take tickets before onboarding is complete (with a reason,
    audited). The plan's modules stay assigned; the plan completes when they are done."""
    if not getattr(actor, "has_perm", lambda p: False)("training.override_onboarding"):
        raise DomainError(_("Only a supervisor can override onboarding."), code="forbidden")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Give the reason for the override.")})
    plan = OnboardingPlan.objects.select_for_update().select_related("agent").get(pk=plan.pk)
    _move(plan, PlanStatus.OVERRIDDEN, PLAN_TRANSITIONS)
    plan.override_reason = reason[:300]
    plan.overridden_by = _person(actor)
    plan.overridden_at = timezone.now()
    plan.save(update_fields=["status", "override_reason", "overridden_by", "overridden_at"])
    audit_record(
        actor=actor,
        action="training.onboarding_overridden",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": plan.agent_id, "reason": plan.override_reason},
    )
    user_ticket_hold_set(user=plan.agent, hold=TicketHold.NONE, actor=actor, reason=plan.override_reason)
    _tell(
        [plan.agent_id],
        key=f"training-override:{plan.pk}",
        text=_("A supervisor lets you take tickets before onboarding is complete: %(r)s")
        % {"r": plan.override_reason},
        url="/training/",
    )
    return plan

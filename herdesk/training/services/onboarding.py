"""Onboarding (入职培训, seed 000 §(二)1): at least 5 working days with the required modules, the
agent on hold for tickets meanwhile; the periodic job that completes plans and reminds of overdue
assignments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
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
    ONBOARDING_MIN_WORKING_DAYS,
    AssignmentStatus,
    PlanStatus,
)
from ..models import (
    Assignment,
    Module,
    OnboardingPlan,
)
from ._base import (
    _local_today,
    _person,
    _require_staff,
    _tell,
    calendar_code,
    working_days_after,
)
from .assignments import assignment_create
from .hold import onboarding_check
from .mentors import mentor_assign


@transaction.atomic
def onboarding_start(
    *,
    agent: Any,
    starts_on: date,
    actor: Any,
    working_days: int = ONBOARDING_MIN_WORKING_DAYS,
    mentor: Any = None,
) -> OnboardingPlan:
    """入职培训 (seed 000 §(二)1): at least 5 working days from `starts_on` with every module marked
    required for onboarding assigned (due on the last day). The agent is put on hold for tickets
    until the plan is complete or a supervisor overrides it."""
    _require_staff(agent, "agent")
    if int(working_days) < ONBOARDING_MIN_WORKING_DAYS:
        raise ValidationError(
            {
                "working_days": _("Onboarding lasts at least %(n)d working days.")
                % {"n": ONBOARDING_MIN_WORKING_DAYS}
            }
        )
    if OnboardingPlan.objects.filter(agent=agent).exists():
        raise DomainError(_("%(who)s already has an onboarding plan.") % {"who": agent}, code="invalid")
    code = calendar_code()
    # Working day 1 is `starts_on` itself when it is a working day: count from the day before.
    ends_on = working_days_after(starts_on - timedelta(days=1), int(working_days), code=code)
    now = timezone.now()
    plan = OnboardingPlan.objects.create(
        agent=agent,
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=working_days,
        calendar_code=code,
        created_by=_person(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="training.onboarding_started",
        object_type="onboarding_plan",
        object_id=plan.pk,
        data={"agent": agent.pk, "starts_on": str(starts_on), "ends_on": str(ends_on), "days": working_days},
    )
    for module in Module.objects.filter(required_for_onboarding=True, active=True).order_by("code"):
        a = assignment_create(
            agent=agent,
            module_code=module.code,
            reason=_("Onboarding (入职培训)"),
            source_ref=plan.source_ref,
            actor=actor,
        )
        if a.due_on != ends_on:
            Assignment.objects.filter(pk=a.pk).update(due_on=ends_on)
    user_ticket_hold_set(
        user=agent, hold=TicketHold.ONBOARDING, actor=actor, reason=f"onboarding plan {plan.pk}"
    )
    if mentor is not None:
        mentor_assign(agent=agent, mentor=mentor, actor=actor, started_on=starts_on, goal=_("Onboarding"))
    return plan


def training_sweep(*, at: datetime | None = None) -> dict[str, int]:
    """Periodic job `training-sweep`: completes onboarding plans whose last day has come with every
    module done, and tells agents (once) of overdue assignments."""
    at = at or timezone.now()
    today = _local_today(at)
    completed = 0
    for plan in OnboardingPlan.objects.exclude(status=PlanStatus.COMPLETED).filter(ends_on__lte=today):
        completed += int(onboarding_check(plan=plan, at=at))
    overdue = 0
    for a in Assignment.objects.filter(status=AssignmentStatus.ASSIGNED, due_on__lt=today).select_related(
        "module"
    ):
        with transaction.atomic():
            _tell(
                [a.agent_id],
                key=f"training-overdue:{a.pk}",
                text=_("Training overdue: %(m)s was due %(d)s.") % {"m": a.module.title, "d": a.due_on},
                url=f"/training/modules/{a.module_id}/",
            )
        overdue += 1
    return {"onboarding_completed": completed, "overdue": overdue}

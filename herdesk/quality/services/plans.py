"""Inspection plans and their sample draws (QA-1, seed 000 §五(一)1): a recorded seed so anyone can
re-draw the same sample; re-checks put an agent's next contacts into the next draw."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify

from .. import sampling
from ..choices import (
    Cycle,
    Source,
)
from ..models import (
    InspectionPlan,
    Recheck,
    Review,
    SampleDraw,
    SampleItem,
    Scorecard,
)
from ._base import _real, _refuse
from .scorecards import version_in_use


def cycle_period(plan: InspectionPlan, now: datetime) -> tuple[datetime, datetime]:
    """The last complete cycle before `now` (local time): the previous week (Monday–Sunday), the
    previous two weeks, or the previous month."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if plan.cycle == Cycle.MONTHLY:
        end = midnight.replace(day=1)
        prev = (end - timedelta(days=1)).replace(day=1)
        return prev, end
    end = midnight - timedelta(days=local.weekday())
    return end - timedelta(days=14 if plan.cycle == Cycle.BIWEEKLY else 7), end


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    name: str,
    cycle: str,
    sources: Iterable[str],
    scorecard: Scorecard,
    reviewers: Iterable[Any],
    percentage: Any = 5,
    per_agent_minimum: int = 2,
    stratify_by_channel: bool = True,
    recheck_count: int = 5,
    team: Any = None,
) -> InspectionPlan:
    errors = []
    if cycle not in Cycle.values:
        errors.append(_("Choose a cycle. / 请选择周期。"))
    srcs = [s for s in dict.fromkeys(sources) if s in Source.values]
    if not srcs:
        errors.append(_("Choose at least one population. / 请至少选择一类抽查对象。"))
    try:
        pct = Decimal(str(percentage))
    except InvalidOperation:
        pct = Decimal(-1)
    if not Decimal(0) < pct <= 100:
        errors.append(_("The percentage is above 0 and at most 100. / 抽样比例应大于 0 且不超过 100。"))
    reviewers = list(reviewers)
    if not reviewers:
        errors.append(_("Name at least one reviewer. / 请至少指定一名质检员。"))
    if not name.strip():
        errors.append(_("Give the plan a name. / 请填写计划名称。"))
    if errors:
        raise _refuse(" ".join(str(e) for e in errors))
    version_in_use(scorecard)
    plan = InspectionPlan.objects.create(
        name=name.strip()[:120],
        cycle=cycle,
        sources=srcs,
        scorecard=scorecard,
        percentage=pct,
        per_agent_minimum=max(0, int(per_agent_minimum)),
        stratify_by_channel=stratify_by_channel,
        recheck_count=max(0, int(recheck_count)),
        team=team,
        created_by=_real(actor),
    )
    plan.reviewers.set(reviewers)
    audit_record(
        actor=actor,
        action="quality.plan_create",
        object_type="inspection_plan",
        object_id=plan.pk,
        data={"cycle": cycle, "sources": srcs, "percentage": str(pct), "minimum": plan.per_agent_minimum},
    )
    return plan


def _params(plan: InspectionPlan, start: datetime) -> dict[str, Any]:
    rechecks = [
        {"id": r.pk, "agent": r.agent_id, "count": r.count, "since": r.since.isoformat()}
        for r in Recheck.objects.filter(draw__isnull=True, since__lt=start + timedelta(days=62)).order_by(
            "pk"
        )
    ]
    return {
        "sources": list(plan.sources),
        "team": plan.team_id,
        "percentage": str(plan.percentage),
        "per_agent_minimum": plan.per_agent_minimum,
        "stratify_by_channel": plan.stratify_by_channel,
        "reviewers": sorted(plan.reviewers.values_list("pk", flat=True)),
        "rechecks": rechecks,
        "version": version_in_use(plan.scorecard).pk,
    }


def draw_recompute(draw: SampleDraw) -> list[sampling.Picked]:
    """The sample the stored seed and parameters give today (same population → same sample)."""
    p = draw.params
    candidates = sampling.population(p["sources"], draw.period_start, draw.period_end, p.get("team"))
    return sampling.draw_compute(candidates, p, draw.seed)


@transaction.atomic
def sample_draw(
    *,
    actor: Any,
    plan: InspectionPlan,
    period: tuple[datetime, datetime] | None = None,
    seed: int | None = None,
    now: datetime | None = None,
) -> SampleDraw:
    """Draw (and record) the sample of one cycle. A cycle is drawn once; the seed is stored."""
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_active:
        raise _refuse(_("This plan is paused. / 该计划已暂停。"), code="domain_error")
    start, end = period or cycle_period(plan, now or timezone.now())
    if end <= start:
        raise _refuse(_("The period ends before it starts. / 抽查期间无效。"))
    if SampleDraw.objects.filter(plan=plan, period_start=start).exists():
        raise _refuse(_("This cycle has been drawn already. / 本周期已抽样。"), code="domain_error")
    seed = seed if seed is not None else secrets.randbits(48)
    params = _params(plan, start)
    candidates = sampling.population(params["sources"], start, end, params.get("team"))
    picked = sampling.draw_compute(candidates, params, seed)
    draw = SampleDraw.objects.create(
        plan=plan,
        period_start=start,
        period_end=end,
        seed=seed,
        params=params,
        population_size=len(candidates),
        drawn_by=_real(actor),
    )
    SampleItem.objects.bulk_create(
        SampleItem(
            draw=draw,
            source=p.candidate.source,
            object_id=p.candidate.object_id,
            ticket_id=p.candidate.ticket_id,
            agent_id=p.candidate.agent_id,
            channel=p.candidate.channel,
            pick=p.pick,
            reviewer_id=p.reviewer_id,
            occurred_at=p.candidate.occurred_at,
        )
        for p in picked
    )
    Recheck.objects.filter(pk__in=[r["id"] for r in params["rechecks"]]).update(draw=draw)
    audit_record(
        actor=actor,
        action="quality.sample_draw",
        object_type="inspection_plan",
        object_id=plan.pk,
        data={
            "draw": draw.pk,
            "seed": seed,
            "period": [start.isoformat(), end.isoformat()],
            "population": len(candidates),
            "sample": len(picked),
        },
    )
    reviewers = {p.reviewer_id for p in picked if p.reviewer_id}
    notify(
        users=reviewers,
        kind=NotificationKind.OTHER,
        exclude=actor,
        data={"text": _("New inspection sample of “%(plan)s” to review.") % {"plan": plan.name}},
    )
    return draw


def sample_verify(draw: SampleDraw) -> bool:
    """Does re-drawing with the stored seed give exactly the recorded items?"""
    stored = list(draw.items.order_by("id").values_list("source", "object_id", "pick", "reviewer_id"))
    again = [(p.candidate.source, p.candidate.object_id, p.pick, p.reviewer_id) for p in draw_recompute(draw)]
    return stored == again


@transaction.atomic
def recheck_open(*, actor: Any, agent: Any, count: int, reason: str, review: Review | None = None) -> Recheck:
    """The agent's next `count` contacts go into the next drawn sample."""
    if count < 1:
        raise _refuse(_("Re-check at least one contact. / 复查数量至少为 1。"))
    r = Recheck.objects.create(
        agent=agent,
        count=count,
        reason=reason[:300],
        review=review,
        since=timezone.now(),
        created_by=_real(actor),
    )
    audit_record(
        actor=actor,
        action="quality.recheck_open",
        object_type="user",
        object_id=agent.pk,
        data={"count": count, "reason": reason[:200], "review": getattr(review, "pk", None)},
    )
    return r

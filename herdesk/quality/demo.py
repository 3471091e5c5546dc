"""Demo rows of the supervision group for `herdesk demo load` (issue #17): two more reviewers
(qa2, qa3: disputes need a second reviewer, calibration several), a weekly inspection plan on the
seed-001 scorecard with last week's sample drawn, and the agents' scorecard rollups."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from herdesk.staff.models import Team, User
from herdesk.staff.services import user_create

from .models import InspectionPlan, Scorecard
from .rollup import agent_rollup_catch_up
from .services import cycle_period, plan_create, sample_draw, scorecard_templates_ensure

REVIEWERS = [("qa2", "马质检"), ("qa3", "高质检")]


def quality_demo_ensure(users: dict[str, Any], password: str) -> dict[str, int]:
    scorecard_templates_ensure()
    team = Team.objects.filter(code="supervision").first()
    for username, name in REVIEWERS:
        if not User.objects.filter(username=username).exists():
            users[username] = user_create(
                username=username, password=password, role="qa", team=team, display_name=name,
                email=f"{username}@herdesk.example",
            )  # fmt: skip
    drawn = 0
    with transaction.atomic():
        plan = InspectionPlan.objects.filter(name="客服中心每周抽查").first()
        if plan is None:
            plan = plan_create(
                actor=users["qa1"], name="客服中心每周抽查", cycle="weekly",
                sources=["ticket", "call", "chat", "email"],
                scorecard=Scorecard.objects.get(code="seed-001-conduct"),
                reviewers=User.objects.filter(username__in=["qa1", "qa2", "qa3"]),
                percentage=5, per_agent_minimum=2,
            )  # fmt: skip
        start, _end = cycle_period(plan, timezone.now())
        if not plan.draws.filter(period_start=start).exists():
            drawn = sample_draw(actor=users["qa1"], plan=plan, seed=2026).items.count()
    days = agent_rollup_catch_up()
    return {"sampled": drawn, "rollup_days": days}

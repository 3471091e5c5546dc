"""Agent scorecards (KPI-3): supervisor comments and peer reviews, the component weights, and the
periodic job that keeps the per-agent rollups current and finalises reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError

from ..choices import (
    COMPONENT_CODES,
    AppraisalKind,
)
from ..models import (
    Appraisal,
    ScoreWeights,
)
from ..rollup import agent_rollup_catch_up
from ..selectors import can_see_agent, period_parse
from ._base import _real, _refuse
from .reviews import reviews_finalise_due


@transaction.atomic
def appraisal_record(
    *, actor: Any, agent: Any, period: str, kind: str, score: int, comment: str
) -> Appraisal:
    """A supervisor's comment (supervisors, team leads) or a peer review (a colleague of the team)."""

    period_parse(period)
    if kind not in AppraisalKind.values:
        raise _refuse(_("Unknown kind. / 类型无效。"), field="kind")
    if actor.pk == agent.pk:
        raise DomainError(_("Nobody appraises themselves. / 不能评价自己。"), code="forbidden")
    if kind == AppraisalKind.SUPERVISOR:
        if not (actor.has_perm("quality.add_appraisal") and can_see_agent(actor, agent)):
            raise DomainError(_("Only a supervisor comments. / 只有主管可以填写评语。"), code="forbidden")
    elif not (actor.team_id and actor.team_id == agent.team_id):
        raise DomainError(
            _("Peers are colleagues of the same team. / 同事互评限同一团队。"), code="forbidden"
        )
    if not 0 <= int(score) <= 100:
        raise _refuse(_("A score is 0 to 100. / 分数应在 0 到 100 之间。"), field="score")
    row, _created = Appraisal.objects.update_or_create(
        agent=agent,
        period=period,
        kind=kind,
        author=actor,
        defaults={"score": int(score), "comment": comment[:2000]},
    )
    audit_record(
        actor=actor,
        action="quality.appraisal",
        object_type="user",
        object_id=agent.pk,
        data={"period": period, "kind": kind, "score": int(score)},
    )
    return row


@transaction.atomic
def weights_set(*, actor: Any, weights: dict[str, int], aht_target_minutes: int = 240) -> ScoreWeights:
    clean = {}
    for code in COMPONENT_CODES:
        try:
            clean[code] = int(weights.get(code, 0))
        except (TypeError, ValueError):
            raise _refuse(_("Weights are whole numbers. / 权重须为整数。"), field=code)
        if clean[code] < 0:
            raise _refuse(_("A weight is between 0 and 100. / 权重应在 0 到 100 之间。"), field=code)
    total = sum(clean.values())
    if total != 100:
        raise _refuse(
            _("The weights add up to %(total)d, not 100. / 权重合计为 %(total)d，应为 100。")
            % {"total": total}
        )
    if aht_target_minutes < 1:
        raise _refuse(_("The handling-time target is at least one minute."), field="aht_target_minutes")
    row = ScoreWeights.objects.create(
        weights=clean, aht_target_minutes=aht_target_minutes, created_by=_real(actor)
    )
    audit_record(
        actor=actor,
        action="quality.weights_set",
        object_type="score_weights",
        object_id=row.pk,
        data={"weights": clean, "aht_target_minutes": aht_target_minutes},
    )
    return row


def quality_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Finalise reviews past their dispute window; keep the per-agent rollups current."""

    finalised = reviews_finalise_due(now=now)
    days = agent_rollup_catch_up(now=now)
    return {"finalised": finalised, "days": days}

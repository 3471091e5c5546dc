"""Every write of the supervision group (QA-1, QA-3, QA-4) and of agent scorecards (KPI-3).

Keyword arguments, `actor=`, one transaction each, every change audited. A review's state changes
only in `_review_move`, which enforces `choices.REVIEW_TRANSITIONS`. Refused input raises
DomainError (a 4xx on the pages) with a bilingual message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.calendars.selectors import working_calendar
from herdesk.common.errors import DomainError, TransitionNotAllowed
from herdesk.notifications.choices import NotificationKind
from herdesk.notifications.staff_notices import notify
from herdesk.staff.models import User
from herdesk.tickets.choices import InteractionKind
from herdesk.tickets.services import interaction_add
from herdesk.training.services import assignment_create

from . import sampling
from .choices import (
    CALLBACK_SCRIPT,
    COMPONENT_CODES,
    REVIEW_TRANSITIONS,
    AppraisalKind,
    CallbackResult,
    Cycle,
    DisputeDecision,
    ReviewAction,
    ReviewState,
    Scale,
    Source,
    VersionState,
    scale_max,
)
from .models import (
    Appraisal,
    CalibrationItem,
    CalibrationSession,
    Dispute,
    InspectionPlan,
    Recheck,
    Review,
    ReviewAnswer,
    SampleDraw,
    SampleItem,
    Scorecard,
    ScorecardVersion,
    ScoreCriterion,
    ScoreSection,
    ScoreWeights,
)
from .rollup import agent_rollup_catch_up
from .scoring import Line, score_sheet
from .selectors import calibration_alpha, can_see_agent, contact_get, period_parse
from .templates_data import TEMPLATES, install

DISPUTE_WORKING_DAYS = 3
DISPUTE_CALENDAR = "office"

log = logging.getLogger(__name__)


def _refuse(message: str, code: str = "invalid", field: str | None = None) -> DomainError:
    return DomainError(message, code=code, field=field)


# ------------------------------------------------------------------ scorecards as data


def version_problems(version: ScorecardVersion) -> list[str]:
    """Why this version cannot be used: weights must be integers summing to 100 (a red line may
    weigh 0), codes unique, at least one criterion."""
    problems: list[str] = []
    criteria = list(ScoreCriterion.objects.filter(section__version=version))
    if not criteria:
        problems.append(_("A scorecard needs at least one criterion. / 评分表至少需要一项评分标准。"))
    total = sum(c.weight for c in criteria)
    if criteria and total != 100:
        problems.append(
            _("The weights add up to %(total)d, not 100. / 权重合计为 %(total)d，应为 100。")
            % {"total": total}
        )
    for c in criteria:
        if c.weight == 0 and not c.is_red_line:
            problems.append(
                _("“%(name)s” has weight 0; only a red line may. / “%(name)s”权重为 0，只有红线项可以为 0。")
                % {"name": c.name}
            )
        if c.scale not in Scale.values:
            problems.append(_("“%(name)s” has an unknown scale.") % {"name": c.name})
    codes = [c.code for c in criteria]
    if len(codes) != len(set(codes)):
        problems.append(_("Criterion codes must be unique. / 评分项代码不能重复。"))
    return problems


def version_definition(version: ScorecardVersion) -> list[dict[str, Any]]:
    """The sections and criteria of a version as plain data (copying, export, templates)."""
    out = []
    for s in version.sections.prefetch_related("criteria"):
        out.append(
            {
                "name": s.name,
                "name_en": s.name_en,
                "criteria": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "name_en": c.name_en,
                        "guidance": c.guidance,
                        "weight": c.weight,
                        "scale": c.scale,
                        "red_line": c.is_red_line,
                        "na": c.na_allowed,
                        "training": c.training_module_code,
                    }
                    for c in s.criteria.all()
                ],
            }
        )
    return out


def _build_version(version: ScorecardVersion, sections: list[dict[str, Any]]) -> None:
    for i, s in enumerate(sections, 1):
        section = ScoreSection.objects.create(
            version=version, position=i, name=s["name"], name_en=s.get("name_en", "")
        )
        for j, c in enumerate(s.get("criteria", []), 1):
            try:
                weight = int(c["weight"])
            except (TypeError, ValueError, KeyError):
                raise _refuse(_("Weights are whole numbers. / 权重须为整数。"), field="weight")
            if weight < 0 or weight > 100:
                raise _refuse(_("A weight is between 0 and 100. / 权重应在 0 到 100 之间。"), field="weight")
            ScoreCriterion.objects.create(
                section=section,
                position=j,
                code=c["code"],
                name=c["name"],
                name_en=c.get("name_en", ""),
                guidance=c.get("guidance", ""),
                weight=weight,
                scale=c.get("scale", Scale.FIVE),
                is_red_line=bool(c.get("red_line")),
                na_allowed=bool(c.get("na")),
                training_module_code=c.get("training", ""),
            )


@transaction.atomic
def scorecard_create(
    *,
    actor: Any,
    code: str,
    name: str,
    sections: list[dict[str, Any]],
    name_en: str = "",
    description: str = "",
) -> ScorecardVersion:
    """A new scorecard with its first version (a draft until published)."""
    if Scorecard.objects.filter(code=code).exists():
        raise _refuse(_("A scorecard with this code exists. / 评分表代码已存在。"), field="code")
    card = Scorecard.objects.create(code=code, name=name, name_en=name_en, description=description)
    version = ScorecardVersion.objects.create(scorecard=card, number=1, created_by=_real(actor))
    _build_version(version, sections)
    audit_record(actor=actor, action="quality.scorecard_create", object_type="scorecard", object_id=code)
    return version


@transaction.atomic
def version_new_draft(*, actor: Any, scorecard: Scorecard, note: str = "") -> ScorecardVersion:
    """A new draft copied from the newest version; an open draft is returned as it is."""
    draft = scorecard.versions.filter(state=VersionState.DRAFT).first()
    if draft:
        return draft
    latest = scorecard.versions.order_by("-number").first()
    version = ScorecardVersion.objects.create(
        scorecard=scorecard,
        number=(latest.number + 1) if latest else 1,
        note=note[:200],
        created_by=_real(actor),
    )
    if latest:
        _build_version(version, version_definition(latest))
    audit_record(
        actor=actor,
        action="quality.version_draft",
        object_type="scorecard",
        object_id=scorecard.code,
        data={"version": version.number},
    )
    return version


def _draft_only(version: ScorecardVersion) -> None:
    if version.state != VersionState.DRAFT:
        raise TransitionNotAllowed(
            _("Only a draft can be changed; a version in use is kept as reviews were scored with it. / "
              "只能修改草稿；使用中的版本须保持不变。")
        )  # fmt: skip


@transaction.atomic
def version_update_criteria(
    *, actor: Any, version: ScorecardVersion, changes: dict[int, dict[str, Any]]
) -> None:
    """Change weights, scales, red lines, N/A and training links of a draft's criteria."""
    version = ScorecardVersion.objects.select_for_update().get(pk=version.pk)
    _draft_only(version)
    by_id = {c.pk: c for c in ScoreCriterion.objects.filter(section__version=version)}
    for pk, change in changes.items():
        c = by_id.get(int(pk))
        if c is None:
            raise _refuse(_("Unknown criterion. / 评分项不存在。"), code="not_found")
        if "weight" in change:
            try:
                c.weight = int(change["weight"])
            except (TypeError, ValueError):
                raise _refuse(_("Weights are whole numbers. / 权重须为整数。"), field="weight")
            if not 0 <= c.weight <= 100:
                raise _refuse(_("A weight is between 0 and 100. / 权重应在 0 到 100 之间。"), field="weight")
        if "scale" in change:
            if change["scale"] not in Scale.values:
                raise _refuse(_("Unknown rating scale. / 评分尺度无效。"), field="scale")
            c.scale = change["scale"]
        for key, attr in (("red_line", "is_red_line"), ("na", "na_allowed")):
            if key in change:
                setattr(c, attr, bool(change[key]))
        if "training" in change:
            c.training_module_code = str(change["training"] or "")[:40]
        c.save()
    audit_record(
        actor=actor,
        action="quality.version_update",
        object_type="scorecard",
        object_id=version.scorecard.code,
        data={"version": version.number, "criteria": sorted(int(k) for k in changes)},
    )


@transaction.atomic
def criterion_add(
    *, actor: Any, version: ScorecardVersion, section: ScoreSection, code: str, name: str, weight: int,
    scale: str = Scale.FIVE, red_line: bool = False,
) -> ScoreCriterion:  # fmt: skip
    _draft_only(version)
    if section.version_id != version.pk:
        raise _refuse(_("Unknown section. / 分组不存在。"), code="not_found")
    if ScoreCriterion.objects.filter(section__version=version, code=code).exists():
        raise _refuse(_("Criterion codes must be unique. / 评分项代码不能重复。"), field="code")
    if scale not in Scale.values:
        raise _refuse(_("Unknown rating scale. / 评分尺度无效。"), field="scale")
    position = section.criteria.count() + 1
    c = ScoreCriterion.objects.create(
        section=section,
        position=position,
        code=code,
        name=name,
        weight=weight,
        scale=scale,
        is_red_line=red_line,
    )
    audit_record(
        actor=actor,
        action="quality.criterion_add",
        object_type="scorecard",
        object_id=version.scorecard.code,
        data={"version": version.number, "code": code, "weight": weight},
    )
    return c


@transaction.atomic
def version_publish(*, actor: Any, version: ScorecardVersion) -> ScorecardVersion:
    """The draft becomes the version in use (weights validated); the previous one is retired."""
    version = ScorecardVersion.objects.select_for_update().get(pk=version.pk)
    _draft_only(version)
    problems = version_problems(version)
    if problems:
        raise _refuse(" ".join(problems), field="weight")
    now = timezone.now()
    ScorecardVersion.objects.filter(scorecard_id=version.scorecard_id, state=VersionState.PUBLISHED).update(
        state=VersionState.RETIRED
    )
    version.state = VersionState.PUBLISHED
    version.published_at = now
    version.save(update_fields=["state", "published_at"])
    audit_record(
        actor=actor,
        action="quality.version_publish",
        object_type="scorecard",
        object_id=version.scorecard.code,
        data={"version": version.number},
    )
    return version


def version_in_use(scorecard: Scorecard) -> ScorecardVersion:
    v = scorecard.versions.filter(state=VersionState.PUBLISHED).first()
    if v is None:
        raise _refuse(
            _("This scorecard has no version in use. / 该评分表没有已发布的版本。"), code="domain_error"
        )
    return v


# ------------------------------------------------------------------ inspection plans and samples


def _real(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


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


# ------------------------------------------------------------------ reviews


def _review_move(review: Review, action: str, *, actor: Any) -> str:
    """The one place a review changes state; refuses every pair REVIEW_TRANSITIONS does not list."""
    target = REVIEW_TRANSITIONS.get((review.state, action))
    if target is None:
        raise TransitionNotAllowed(
            _("The review is “%(state)s”; “%(action)s” is not possible. / 当前状态下不能执行该操作。")
            % {"state": ReviewState(review.state).label, "action": ReviewAction(action).label}
        )
    before = review.state
    review.state = target
    review.save()
    audit_record(
        actor=actor,
        action=f"quality.review_{action}",
        object_type="review",
        object_id=review.pk,
        data={"from": before, "to": target, "score": str(review.score), "grade": review.grade},
    )
    return target


def _subject_of(source: str, object_id: int) -> tuple[int | None, Any]:
    """(ticket id, when) of a reviewed contact."""

    contact = contact_get(source, object_id)
    if contact is None:
        raise _refuse(_("The contact no longer exists. / 该服务记录不存在。"), code="not_found")
    return contact.ticket_id, contact.occurred_at


def _may_review(actor: Any) -> None:
    if not actor.has_perm("quality.add_review"):
        raise DomainError(_("Only the supervision group reviews. / 只有监督小组可以评分。"), code="forbidden")


@transaction.atomic
def review_start(*, actor: Any, item: SampleItem) -> Review:
    """The draft review of a sample item (the existing one if already started)."""
    _may_review(actor)
    item = SampleItem.objects.select_for_update().select_related("draw").get(pk=item.pk)
    existing = Review.objects.filter(item=item).first()
    if existing:
        return existing
    if item.agent_id == actor.pk:
        raise DomainError(_("Nobody reviews their own contact. / 不能评审自己的服务记录。"), code="forbidden")
    version = ScorecardVersion.objects.get(pk=item.draw.params["version"])
    review = Review.objects.create(
        version=version,
        item=item,
        source=item.source,
        object_id=item.object_id,
        ticket_id=item.ticket_id,
        agent_id=item.agent_id,
        reviewer=actor,
        occurred_at=item.occurred_at,
    )
    audit_record(actor=actor, action="quality.review_start", object_type="review", object_id=review.pk)
    return review


def _lines(review: Review, answers: dict[int, tuple[int | None, str]]) -> list[Line]:
    criteria = ScoreCriterion.objects.filter(section__version_id=review.version_id)
    out = []
    for c in criteria:
        rating = answers.get(c.pk, (None, ""))[0]
        out.append(Line(c.weight, scale_max(c.scale), rating, c.is_red_line))
    return out


def _write_answers(review: Review, answers: dict[int, tuple[int | None, str]], *, complete: bool) -> None:
    """Validate and store the ratings; `complete` requires every criterion answered (or N/A where
    allowed) and a comment on every deduction."""
    criteria = {c.pk: c for c in ScoreCriterion.objects.filter(section__version_id=review.version_id)}
    errors = []
    for pk in answers:
        if pk not in criteria:
            raise _refuse(_("Unknown criterion. / 评分项不存在。"), code="not_found")
    for pk, c in criteria.items():
        rating, comment = answers.get(pk, (None, ""))
        top = scale_max(c.scale)
        if rating is not None and not 0 <= rating <= top:
            errors.append(
                _("“%(name)s”: rate 0 to %(max)d. / “%(name)s”的评分应在 0 到 %(max)d 之间。")
                % {"name": c.name, "max": top}
            )
        if not complete:
            continue
        if rating is None and not c.na_allowed:
            errors.append(_("“%(name)s” is not rated. / “%(name)s”尚未评分。") % {"name": c.name})
        if rating is not None and rating < top and not (comment or "").strip():
            errors.append(
                _("“%(name)s”: a deduction needs a comment. / “%(name)s”扣分须填写说明。") % {"name": c.name}
            )
    if errors:
        raise _refuse(" ".join(str(e) for e in errors))
    ReviewAnswer.objects.filter(review=review).delete()
    ReviewAnswer.objects.bulk_create(
        ReviewAnswer(review=review, criterion_id=pk, rating=answers.get(pk, (None, ""))[0],
                     comment=(answers.get(pk, (None, ""))[1] or "")[:2000])
        for pk in criteria
    )  # fmt: skip
    result = score_sheet(_lines(review, answers))
    review.score = result.score
    review.grade = result.grade
    review.red_line_failed = result.red_line_failed


@transaction.atomic
def review_save(
    *,
    actor: Any,
    review: Review,
    answers: dict[int, tuple[int | None, str]],
    comment: str = "",
    callback: dict[str, str] | None = None,
    submit: bool = False,
) -> Review:
    """Save the ratings (a draft), optionally the call-back result, and with `submit` submit it:
    the agent is told and has DISPUTE_WORKING_DAYS working days to dispute."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.reviewer_id != actor.pk:
        raise DomainError(
            _("This review belongs to another reviewer. / 这是其他质检员的评分。"), code="forbidden"
        )
    if review.state != ReviewState.DRAFT:
        raise TransitionNotAllowed(_("A submitted review cannot be edited. / 已提交的评分不能修改。"))
    _write_answers(review, answers, complete=submit)
    review.comment = comment[:4000]
    if callback is not None:
        _callback_apply(review, callback)
    review.save()
    if submit:
        _submit(review, actor)
    return review


def _callback_apply(review: Review, callback: dict[str, str]) -> None:
    result = callback.get("result", "")
    if result and result not in CallbackResult.values:
        raise _refuse(_("Unknown call-back result. / 回访结果无效。"), field="callback_result")
    review.callback_result = result
    review.callback_notes = (callback.get("notes") or "")[:2000]
    if result:
        review.callback_script = callback.get("script") or str(CALLBACK_SCRIPT) % {
            "ticket": getattr(review.ticket, "number", "-")
        }
        review.callback_at = review.callback_at or timezone.now()


def dispute_deadline(submitted_at: datetime) -> datetime:

    return working_calendar(DISPUTE_CALENDAR).add_working_days(submitted_at, DISPUTE_WORKING_DAYS)


def _submit(review: Review, actor: Any) -> None:
    now = timezone.now()
    review.submitted_at = now
    review.dispute_deadline = None if review.is_calibration else dispute_deadline(now)
    _review_move(review, ReviewAction.SUBMIT, actor=actor)
    if review.is_calibration:
        return
    if review.ticket_id:
        interaction_add(
            ticket=review.ticket,  # type: ignore[arg-type]
            actor=actor,
            kind=InteractionKind.SYSTEM_EVENT,
            body=_("Supervision review QA-%(id)d recorded (监督小组抽查已评分).") % {"id": review.pk},
            is_public=False,
            is_automatic=True,
            data={"quality_review": review.pk},
        )
    if review.agent_id:
        notify(
            users=[review.agent_id],
            kind=NotificationKind.OTHER,
            exclude=actor,
            data={
                "text": _(
                    "Your contact was reviewed: %(score)s (%(grade)s). You may dispute it until %(due)s."
                )
                % {
                    "score": review.score,
                    "grade": review.get_grade_display(),
                    "due": timezone.localtime(review.dispute_deadline).strftime("%Y-%m-%d %H:%M")
                    if review.dispute_deadline
                    else "",
                }
            },
        )
    _failure_loop(review, actor)


def failed_criteria(review: Review) -> list[ScoreCriterion]:
    """The criteria this review deducted on (rating below the top of the scale)."""
    out = []
    for a in review.answers.select_related("criterion"):
        if a.rating is not None and a.rating < scale_max(a.criterion.scale):
            out.append(a.criterion)
    return out


def _training_for_failed_criteria(review: Review) -> list[tuple[Any, str, str]]:
    """(agent, module code, reason) for every failed criterion linked to a training module.

    The loop's training half: `_failure_loop` assigns each module to the agent through
    `training.services.assignment_create` in the review's transaction (idempotent per review)."""
    if review.agent is None or review.is_calibration:
        return []
    return [
        (
            review.agent,
            c.training_module_code,
            _("Review QA-%(id)d: “%(name)s” failed") % {"id": review.pk, "name": c.name},
        )
        for c in failed_criteria(review)
        if c.training_module_code
    ]


def _failure_loop(review: Review, actor: Any) -> None:
    """A red line or a failed criterion linked to training: training to assign and a re-check of
    the agent's next contacts (plan's recheck_count; 5 for ad-hoc reviews)."""
    training = _training_for_failed_criteria(review)
    if not (review.red_line_failed or training) or review.agent is None:
        return
    count = review.item.draw.plan.recheck_count if review.item is not None else 5
    if training:
        audit_record(
            actor=actor,
            action="quality.training_due",
            object_type="review",
            object_id=review.pk,
            data={"agent": review.agent_id, "modules": [m for _a, m, _r in training]},
        )
        for agent, module_code, reason in training:
            try:
                with transaction.atomic():  # a refusal rolls back only this assignment
                    assignment_create(
                        agent=agent,
                        module_code=module_code,
                        reason=reason,
                        source_ref=f"quality.review:{review.pk}",
                        actor=actor,
                    )
            except DomainError:
                # A criterion naming a module that was retired or never made: the review stands
                # (the audit entry above names the module); the supervision group fixes the link.
                log.warning("review %s: no training module %r to assign", review.pk, module_code)
    if count:
        recheck_open(
            actor=actor,
            agent=review.agent,
            count=count,
            reason=_("Review QA-%(id)d failed") % {"id": review.pk},
            review=review,
        )


@transaction.atomic
def review_accept(*, actor: Any, review: Review) -> Review:
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.agent_id != actor.pk:
        raise DomainError(
            _("Only the reviewed agent accepts a review. / 只有被评人可以确认。"), code="forbidden"
        )
    review.finalised_at = timezone.now()
    _review_move(review, ReviewAction.ACCEPT, actor=actor)
    return review


@transaction.atomic
def review_dispute(*, actor: Any, review: Review, reason: str) -> Dispute:
    """The agent disputes within the window; a second reviewer is asked to decide."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.agent_id != actor.pk:
        raise DomainError(_("Only the reviewed agent may dispute. / 只有被评人可以申诉。"), code="forbidden")
    if not reason.strip():
        raise _refuse(_("Say why you dispute the review. / 请填写申诉理由。"), field="reason")
    now = timezone.now()
    if review.dispute_deadline and now > review.dispute_deadline and review.state == ReviewState.SUBMITTED:
        raise _refuse(
            _("The dispute window closed on %(due)s. / 申诉期限已过（%(due)s）。")
            % {"due": timezone.localtime(review.dispute_deadline).strftime("%Y-%m-%d %H:%M")},
            code="domain_error",
        )
    _review_move(review, ReviewAction.DISPUTE, actor=actor)
    dispute = Dispute.objects.create(review=review, raised_by=actor, reason=reason[:4000], raised_at=now)
    from django.db.models import Q

    deciders = (
        User.objects.filter(
            Q(groups__permissions__codename="decide_dispute")
            | Q(user_permissions__codename="decide_dispute"),
            is_active=True,
        )
        .exclude(pk__in=[review.reviewer_id, review.agent_id])
        .values_list("pk", flat=True)
        .distinct()
    )
    notify(
        users=list(deciders),
        kind=NotificationKind.OTHER,
        data={"text": _("Review QA-%(id)d is disputed and needs a second reviewer.") % {"id": review.pk}},
    )
    return dispute


@transaction.atomic
def dispute_decide(
    *,
    actor: Any,
    review: Review,
    decision: str,
    note: str,
    answers: dict[int, tuple[int | None, str]] | None = None,
) -> Dispute:
    """A second reviewer (not the first, not the agent) upholds or amends the review."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if not actor.has_perm("quality.decide_dispute") or actor.pk in (review.reviewer_id, review.agent_id):
        raise DomainError(
            _("A second reviewer decides: not the first reviewer, not the agent. / 须由第二位质检员裁决。"),
            code="forbidden",
        )
    if decision not in DisputeDecision.values:
        raise _refuse(_("Uphold or amend. / 请选择维持或修改。"), field="decision")
    if not note.strip():
        raise _refuse(_("Explain the decision. / 请填写裁决说明。"), field="note")
    dispute = Dispute.objects.select_for_update().get(review=review)
    dispute.original = {
        "score": str(review.score),
        "grade": review.grade,
        "answers": {str(a.criterion_id): [a.rating, a.comment] for a in review.answers.all()},
    }
    if decision == DisputeDecision.AMENDED:
        if not answers:
            raise _refuse(_("An amendment gives the new ratings. / 修改须给出新的评分。"))
        _write_answers(review, answers, complete=True)
    now = timezone.now()
    review.finalised_at = now
    _review_move(review, ReviewAction.AMEND if decision == DisputeDecision.AMENDED else ReviewAction.UPHOLD,
                 actor=actor)  # fmt: skip
    if decision == DisputeDecision.AMENDED and not (
        review.red_line_failed or _training_for_failed_criteria(review)
    ):
        # The amendment removed the failure: its re-check, if not drawn yet, is withdrawn.
        withdrawn = Recheck.objects.filter(review=review, draw__isnull=True).delete()[0]
        if withdrawn:
            audit_record(
                actor=actor, action="quality.recheck_withdrawn", object_type="review", object_id=review.pk,
                data={"rechecks": withdrawn},
            )  # fmt: skip
    dispute.decided_by = actor
    dispute.decided_at = now
    dispute.decision = decision
    dispute.decision_note = note[:4000]
    dispute.save()
    audit_record(
        actor=actor,
        action="quality.dispute_decide",
        object_type="review",
        object_id=review.pk,
        data={"decision": decision, "before": dispute.original["score"], "after": str(review.score)},
    )
    notify(
        users=[review.agent_id, review.reviewer_id],
        kind=NotificationKind.OTHER,
        exclude=actor,
        data={
            "text": _("Dispute of review QA-%(id)d decided: %(decision)s.")
            % {"id": review.pk, "decision": DisputeDecision(decision).label}
        },
    )
    return dispute


def reviews_finalise_due(*, now: datetime | None = None) -> int:
    """Submitted reviews whose dispute window has closed become final (the periodic sweep)."""
    now = now or timezone.now()
    done = 0
    for pk in Review.objects.filter(state=ReviewState.SUBMITTED, dispute_deadline__lt=now).values_list(
        "pk", flat=True
    )[:500]:
        with transaction.atomic():
            review = Review.objects.select_for_update().get(pk=pk)
            if review.state != ReviewState.SUBMITTED:
                continue
            review.finalised_at = now
            _review_move(review, ReviewAction.FINALISE, actor=None)
            done += 1
    return done


# ------------------------------------------------------------------ calibration


@transaction.atomic
def calibration_create(
    *,
    actor: Any,
    title: str,
    version: ScorecardVersion,
    reviewers: Iterable[Any],
    items: Iterable[tuple[str, int]],
) -> CalibrationSession:
    """Several reviewers score the same contacts blind; their reviews never count for the agent."""
    reviewers = list(reviewers)
    items = list(dict.fromkeys(items))
    if len(reviewers) < 2:
        raise _refuse(_("Calibration needs at least two reviewers. / 校准至少需要两名质检员。"))
    if not items:
        raise _refuse(_("Choose the contacts to score. / 请选择要评分的服务记录。"))
    if version.state != VersionState.PUBLISHED:
        raise _refuse(_("Calibrate with a scorecard version in use. / 请使用已发布的评分表版本。"))
    session = CalibrationSession.objects.create(title=title[:120] or "calibration", version=version,
                                                created_by=_real(actor))  # fmt: skip
    session.reviewers.set(reviewers)

    for source, object_id in items:
        contact = contact_get(source, object_id)
        if contact is None:
            raise _refuse(_("The contact no longer exists. / 该服务记录不存在。"), code="not_found")
        CalibrationItem.objects.create(
            session=session,
            source=source,
            object_id=object_id,
            ticket_id=contact.ticket_id,
            agent_id=contact.agent_id,
        )
    audit_record(
        actor=actor,
        action="quality.calibration_create",
        object_type="calibration",
        object_id=session.pk,
        data={"reviewers": [r.pk for r in reviewers], "items": len(items)},
    )
    return session


@transaction.atomic
def calibration_review(
    *, actor: Any, item: CalibrationItem, answers: dict[int, tuple[int | None, str]]
) -> Review:
    """A reviewer's blind score of one calibration item (submitted at once; no dispute)."""
    session = CalibrationSession.objects.select_for_update().get(pk=item.session_id)
    if session.closed_at:
        raise TransitionNotAllowed(_("The session is closed. / 校准已结束。"))
    if not session.reviewers.filter(pk=actor.pk).exists():
        raise DomainError(
            _("You are not a reviewer of this session. / 您不是本次校准的质检员。"), code="forbidden"
        )
    if Review.objects.filter(calibration_item=item, reviewer=actor).exists():
        raise _refuse(_("You have scored this contact already. / 您已为该记录评分。"), code="domain_error")
    contact_time = timezone.now()
    review = Review.objects.create(
        version=session.version,
        calibration_item=item,
        is_calibration=True,
        source=item.source,
        object_id=item.object_id,
        ticket_id=item.ticket_id,
        agent_id=item.agent_id,
        reviewer=actor,
        occurred_at=contact_time,
    )
    _write_answers(review, answers, complete=True)
    review.save()
    _submit(review, actor)
    return review


@transaction.atomic
def calibration_close(*, actor: Any, session: CalibrationSession) -> CalibrationSession:
    """Reveal the scores and store the session's α."""

    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    if session.closed_at:
        return session
    session.alpha = calibration_alpha(session).overall
    session.closed_at = timezone.now()
    session.save(update_fields=["alpha", "closed_at"])
    audit_record(
        actor=actor,
        action="quality.calibration_close",
        object_type="calibration",
        object_id=session.pk,
        data={"alpha": session.alpha},
    )
    return session


# ------------------------------------------------------------------ agent scorecards (KPI-3)


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


# ------------------------------------------------------------------ the periodic job


def quality_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Finalise reviews past their dispute window; keep the per-agent rollups current."""

    finalised = reviews_finalise_due(now=now)
    days = agent_rollup_catch_up(now=now)
    return {"finalised": finalised, "days": days}


def scorecard_templates_ensure() -> None:
    """The shipped templates (migration 0002 installs them too; a test flush removes them)."""

    for template in TEMPLATES:
        install((Scorecard, ScorecardVersion, ScoreSection, ScoreCriterion), template)

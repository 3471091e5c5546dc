"""Scorecards as data (QA-3): versions of sections and criteria, integer weights summing to 100 at
publish; only a draft changes, because a review keeps the version it was scored with."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.common.errors import TransitionNotAllowed

from ..choices import (
    Scale,
    VersionState,
)
from ..models import (
    Scorecard,
    ScorecardVersion,
    ScoreCriterion,
    ScoreSection,
)
from ..templates_data import TEMPLATES, install
from ._base import _real, _refuse


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
    code, name = (code or "").strip().lower(), (name or "").strip()
    if not re.match(r"^[a-z0-9][a-z0-9_-]{0,39}$", code):
        raise _refuse(
            _("A code is 1–40 lower-case letters, digits, - or _. / 代码为 1–40 位小写字母、数字、- 或 _。"),
            field="code",
        )
    if not name or len(name) > 120:
        raise _refuse(
            _("Give the scorecard a name (at most 120 characters). / 请填写评分表名称（不超过 120 字）。"),
            field="name",
        )
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


def scorecard_templates_ensure() -> None:
    """The shipped templates (migration 0002 installs them too; a test flush removes them)."""

    for template in TEMPLATES:
        install((Scorecard, ScorecardVersion, ScoreSection, ScoreCriterion), template)

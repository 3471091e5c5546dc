"""Drafting a scorecard version on its pages (QA-3): sections and criteria added, edited and removed
one at a time. Only a draft changes (a review keeps the version it was scored with); weights are
integers 0–100 here and must sum to 100 only when the draft is published (`version_problems`), so
a supervisor can move points between criteria in several steps."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.training.models import Module

from ..choices import Scale
from ..models import ScorecardVersion, ScoreCriterion, ScoreSection
from ._base import _refuse
from .scorecards import _draft_only

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CRITERION_FIELDS = ("code", "name", "name_en", "guidance", "weight", "scale", "red_line", "na", "training")


def _locked_draft(version_id: int) -> ScorecardVersion:
    version = ScorecardVersion.objects.select_for_update().select_related("scorecard").get(pk=version_id)
    _draft_only(version)
    return version


def _section_names(name: str, name_en: str) -> tuple[str, str]:
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name:
        raise _refuse(_("Give the section a name. / 请填写分组名称。"), field="name")
    if len(name) > 120 or len(name_en) > 120:
        raise _refuse(_("A name is at most 120 characters. / 名称不能超过 120 个字符。"), field="name")
    return name, name_en


def _clean_criterion(
    fields: dict[str, Any], *, version: ScorecardVersion, current: ScoreCriterion | None = None
) -> dict[str, Any]:
    """Check a criterion's fields (all of them, as the page sends them); refusals are bilingual."""
    out: dict[str, Any] = {}
    code = str(fields.get("code") or "").strip().lower()
    if not CODE_RE.match(code):
        raise _refuse(
            _("A code is 1–40 lower-case letters, digits, - or _. / 代码为 1–40 位小写字母、数字、- 或 _。"),
            field="code",
        )
    clash = ScoreCriterion.objects.filter(section__version=version, code=code)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise _refuse(_("Criterion codes must be unique. / 评分项代码不能重复。"), field="code")
    out["code"] = code
    name = str(fields.get("name") or "").strip()
    if not name or len(name) > 200:
        raise _refuse(
            _("Give the criterion a name (at most 200 characters). / 请填写评分项名称（不超过 200 字）。"),
            field="name",
        )
    out["name"] = name
    out["name_en"] = str(fields.get("name_en") or "").strip()[:200]
    out["guidance"] = str(fields.get("guidance") or "").strip()[:4000]
    try:
        weight = int(str(fields.get("weight", "")).strip())
    except ValueError:
        raise _refuse(_("Weights are whole numbers. / 权重须为整数。"), field="weight") from None
    if not 0 <= weight <= 100:
        raise _refuse(_("A weight is between 0 and 100. / 权重应在 0 到 100 之间。"), field="weight")
    out["red_line"] = bool(fields.get("red_line"))
    if weight == 0 and not out["red_line"]:
        raise _refuse(_("Only a red line may weigh 0. / 只有红线项权重可以为 0。"), field="weight")
    out["weight"] = weight
    scale = str(fields.get("scale") or Scale.FIVE)
    if scale not in Scale.values:
        raise _refuse(_("Unknown rating scale. / 评分尺度无效。"), field="scale")
    out["scale"] = scale
    out["na"] = bool(fields.get("na"))
    training = str(fields.get("training") or "").strip().lower()
    unchanged = current is not None and training == current.training_module_code
    # A new link must name an active module: the loop assigns it when the criterion fails (an old
    # link to a retired module is kept as it is; the review stands and the failure is logged).
    if training and not unchanged and not Module.objects.filter(code=training, active=True).exists():
        raise _refuse(
            _("There is no active training module “%(code)s”. / 没有代码为“%(code)s”的在用培训模块。")
            % {"code": training[:40]},
            field="training",
        )
    out["training"] = training
    return out


def _audit(actor: Any, action: str, version: ScorecardVersion, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="scorecard",
        object_id=version.scorecard.code,
        data={"version": version.number, **data},
    )


@transaction.atomic
def section_add(*, actor: Any, version: ScorecardVersion, name: str, name_en: str = "") -> ScoreSection:
    version = _locked_draft(version.pk)
    name, name_en = _section_names(name, name_en)
    position = (version.sections.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    section = ScoreSection.objects.create(version=version, position=position, name=name, name_en=name_en)
    _audit(actor, "quality.section_add", version, section=section.pk, name=name)
    return section


@transaction.atomic
def section_update(*, actor: Any, section: ScoreSection, name: str, name_en: str = "") -> ScoreSection:
    version = _locked_draft(section.version_id)
    name, name_en = _section_names(name, name_en)
    before = [section.name, section.name_en]
    ScoreSection.objects.filter(pk=section.pk).update(name=name, name_en=name_en)
    section.name, section.name_en = name, name_en
    _audit(actor, "quality.section_update", version, section=section.pk, before=before, after=[name, name_en])
    return section


@transaction.atomic
def section_remove(*, actor: Any, section: ScoreSection) -> None:
    """An empty section of a draft (remove its criteria first: each removal is its own audit entry)."""
    version = _locked_draft(section.version_id)
    if section.criteria.exists():
        raise _refuse(
            _("Remove the section's criteria first. / 请先删除该分组下的评分项。"), code="domain_error"
        )
    _audit(actor, "quality.section_remove", version, section=section.pk, name=section.name)
    section.delete()


@transaction.atomic
def criterion_create(*, actor: Any, section: ScoreSection, fields: dict[str, Any]) -> ScoreCriterion:
    version = _locked_draft(section.version_id)
    clean = _clean_criterion(fields, version=version)
    position = (section.criteria.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    c = ScoreCriterion.objects.create(
        section=section,
        position=position,
        code=clean["code"],
        name=clean["name"],
        name_en=clean["name_en"],
        guidance=clean["guidance"],
        weight=clean["weight"],
        scale=clean["scale"],
        is_red_line=clean["red_line"],
        na_allowed=clean["na"],
        training_module_code=clean["training"],
    )
    _audit(
        actor, "quality.criterion_add", version, code=c.code, weight=c.weight, training=c.training_module_code
    )
    return c


def criterion_fields(c: ScoreCriterion) -> dict[str, Any]:
    """A criterion as the page's form fields (the initial values of its edit page)."""
    return {
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


@transaction.atomic
def criterion_update(*, actor: Any, criterion: ScoreCriterion, fields: dict[str, Any]) -> ScoreCriterion:
    version = _locked_draft(criterion.section.version_id)
    c = ScoreCriterion.objects.select_for_update().get(pk=criterion.pk)
    clean = _clean_criterion(fields, version=version, current=c)
    before = criterion_fields(c)
    diff = {k: [before[k], v] for k, v in clean.items() if before[k] != v}
    if diff:
        for key, attr in (
            ("code", "code"), ("name", "name"), ("name_en", "name_en"), ("guidance", "guidance"),
            ("weight", "weight"), ("scale", "scale"), ("red_line", "is_red_line"), ("na", "na_allowed"),
            ("training", "training_module_code"),
        ):  # fmt: skip
            setattr(c, attr, clean[key])
        c.save()
        _audit(actor, "quality.criterion_update", version, criterion=c.pk, changes=diff)
    return c


@transaction.atomic
def criterion_remove(*, actor: Any, criterion: ScoreCriterion) -> None:
    version = _locked_draft(criterion.section.version_id)
    _audit(actor, "quality.criterion_remove", version, code=criterion.code, weight=criterion.weight)
    criterion.delete()

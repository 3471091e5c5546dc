"""Every write of the supervision group (QA-1, QA-3, QA-4) and of agent scorecards (KPI-3).

Keyword arguments, `actor=`, one transaction each, every change audited. A review's state changes
only in `reviews._review_move`, which enforces `choices.REVIEW_TRANSITIONS`. Refused input raises
DomainError (a 4xx on the pages) with a bilingual message.

One module per responsibility; this package re-exports their names, so `quality.services.X` (and
the ops job path `herdesk.quality.services:quality_sweep`) keep working."""

from __future__ import annotations

from ._base import (
    _real,
    _refuse,
)
from .agent_scorecards import (
    appraisal_record,
    quality_sweep,
    weights_set,
)
from .calibration import (
    calibration_close,
    calibration_create,
    calibration_review,
)
from .disputes import (
    dispute_decide,
    review_dispute,
)
from .drafting import (
    CODE_RE,
    CRITERION_FIELDS,
    _audit,
    _clean_criterion,
    _locked_draft,
    _section_names,
    criterion_create,
    criterion_fields,
    criterion_remove,
    criterion_update,
    section_add,
    section_remove,
    section_update,
)
from .plans import (
    _params,
    cycle_period,
    draw_recompute,
    plan_create,
    recheck_open,
    sample_draw,
    sample_verify,
)
from .reviews import (
    DISPUTE_CALENDAR,
    DISPUTE_WORKING_DAYS,
    _callback_apply,
    _failure_loop,
    _lines,
    _may_review,
    _review_move,
    _subject_of,
    _submit,
    _training_for_failed_criteria,
    _write_answers,
    dispute_deadline,
    failed_criteria,
    review_accept,
    review_save,
    review_start,
    reviews_finalise_due,
)
from .scorecards import (
    _build_version,
    _draft_only,
    criterion_add,
    scorecard_create,
    scorecard_templates_ensure,
    version_definition,
    version_in_use,
    version_new_draft,
    version_problems,
    version_publish,
    version_update_criteria,
)

__all__ = [
    "CODE_RE",
    "CRITERION_FIELDS",
    "DISPUTE_CALENDAR",
    "DISPUTE_WORKING_DAYS",
    "_audit",
    "_build_version",
    "_callback_apply",
    "_clean_criterion",
    "_draft_only",
    "_failure_loop",
    "_lines",
    "_locked_draft",
    "_may_review",
    "_params",
    "_real",
    "_refuse",
    "_review_move",
    "_section_names",
    "_subject_of",
    "_submit",
    "_training_for_failed_criteria",
    "_write_answers",
    "appraisal_record",
    "calibration_close",
    "calibration_create",
    "calibration_review",
    "criterion_add",
    "criterion_create",
    "criterion_fields",
    "criterion_remove",
    "criterion_update",
    "cycle_period",
    "dispute_deadline",
    "dispute_decide",
    "draw_recompute",
    "failed_criteria",
    "plan_create",
    "quality_sweep",
    "recheck_open",
    "review_accept",
    "review_dispute",
    "review_save",
    "review_start",
    "reviews_finalise_due",
    "sample_draw",
    "sample_verify",
    "scorecard_create",
    "scorecard_templates_ensure",
    "section_add",
    "section_remove",
    "section_update",
    "version_definition",
    "version_in_use",
    "version_new_draft",
    "version_problems",
    "version_publish",
    "version_update_criteria",
    "weights_set",
]

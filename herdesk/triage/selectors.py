"""Reads for the triage panel on the ticket page and the supervisors' model page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from herdesk.tickets.choices import ProblemType

from . import services
from .models import TriageModel, TriageSuggestion


@dataclass(frozen=True)
class TriagePanel:
    problem_type: str
    problem_type_label: str
    team_code: str
    confidence: float
    abstained: bool
    food_safety: bool
    food_safety_terms: list[str]
    model_version: int | None
    final_problem_type: str
    overridden: bool


def _label(code: str) -> str:
    return str(ProblemType(code).label) if code in ProblemType.values else code


def triage_panel(*, ticket: Any) -> TriagePanel:
    """The suggestion recorded at intake; for a ticket from before triage existed, computed now."""
    row = TriageSuggestion.objects.filter(ticket=ticket).order_by("-pk").first()
    if row is None:
        s = services.suggest_text(subject=ticket.subject, description=ticket.description)
        return TriagePanel(
            s.problem_type,
            _label(s.problem_type),
            s.team_code,
            s.confidence,
            s.abstained,
            s.food_safety,
            list(s.food_safety_terms),
            s.model_version,
            "",
            False,
        )
    return TriagePanel(
        row.problem_type,
        str(ProblemType(row.problem_type).label)
        if row.problem_type in ProblemType.values
        else row.problem_type,
        row.team_code,
        row.confidence,
        row.abstained,
        row.food_safety,
        list(row.food_safety_terms),
        row.model_version,
        row.final_problem_type,
        row.overridden,
    )


def triage_model_report() -> dict[str, Any]:
    """The active model and its measured quality, plus how often agents overrode it."""
    model = TriageModel.objects.filter(active=True).defer("blob").first()
    recorded = TriageSuggestion.objects.exclude(final_problem_type="")
    decided = recorded.count()
    overridden = recorded.filter(overridden=True).count()
    labels = dict(ProblemType.choices)
    evaluation: dict[str, Any] = ((model.metrics or {}).get("evaluation") if model else None) or {}
    confusion: dict[str, dict[str, int]] = evaluation.get("confusion", {})
    rows = [
        {"code": code, "label": labels.get(code, code), **m}
        for code, m in evaluation.get("per_class", {}).items()
    ]
    return {
        "model": model,
        "evaluation": evaluation or None,
        "rows": rows,
        "classes": [labels.get(c, c) for c in confusion],
        "confusion": [(labels.get(a, a), [confusion[a].get(p, 0) for p in confusion]) for a in confusion],
        "food_safety": (model.metrics or {}).get("food_safety") if model else None,
        "decided": decided,
        "overridden": overridden,
        "agreement": (decided - overridden) / decided if decided else None,
    }

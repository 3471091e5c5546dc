"""Automatic triage (INT-5, INT-6): suggest problem type and team for a contact, flag food-safety risks,
learn from the agents' corrections.

One service for every caller: the channels' intake, the workspace, the API and `herdesk triage`.
A suggestion never decides alone — an agent confirms or overrides it at triage (INT-6 "a human can
always override"), and the override is stored so the next training uses it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from herdesk.common.rowsql import rows_insert
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.tickets import services as ticket_services
from herdesk.tickets.choices import Priority
from herdesk.tickets.models import Ticket

from . import classifier, dataset, foodsafety, rules
from .models import TriageModel, TriageSuggestion

# An agent's correction teaches more than a starter example (it is this installation's own wording).
OVERRIDE_WEIGHT = 3.0
# Below this many cross-validated predictions the threshold is not estimated; the default is used.
MIN_FOR_THRESHOLD = 60
DEFAULT_THRESHOLD = 0.45
TARGET_PRECISION = 0.90


@dataclass(frozen=True)
class Suggestion:
    problem_type: str
    team_code: str
    reason: str
    confidence: float
    abstained: bool
    food_safety: bool
    food_safety_terms: tuple[str, ...]
    model_version: int | None
    suggested_severity: str = ""  # "major" for a food-safety report (complaint clocks, CMP-2)

    def as_json(self, id_: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if id_ is None else {"id": id_}
        out.update(
            problem_type=self.problem_type,
            team=self.team_code,
            confidence=round(self.confidence, 4),
            abstained=self.abstained,
            food_safety=self.food_safety,
        )
        return out


# The loaded classifier of this process, keyed by model version (None: the starter model).
_loaded: dict[str, Any] = {}
_lock = threading.Lock()


def _starter_classifier() -> classifier.Classifier:
    with _lock:
        if "starter" not in _loaded:
            examples = dataset.load("starter")
            _loaded["starter"] = classifier.train(
                [e.text for e in examples], [e.problem_type for e in examples]
            )
        return _loaded["starter"]


# The active model's (pk, threshold) and when it was read: every ticket's intake asks, and a retrain
# in another process is noticed within HERDESK_TRIAGE_RECHECK_SECONDS (one query saved per creation,
# issue #20; a retrain in this process is seen at once).
_active: dict[str, tuple[Any, float]] = {}


def _active_row() -> tuple[int, float] | None:
    now = time.monotonic()
    hit = _active.get("row")
    if hit is not None and now - hit[1] < float(settings.HERDESK_TRIAGE_RECHECK_SECONDS):
        return hit[0]
    row = TriageModel.objects.filter(active=True).values_list("pk", "threshold").first()
    _active["row"] = (row, now)
    return row


def _current() -> tuple[classifier.Classifier, int | None, float]:
    """The newest active model (see _active_row for how a retrain elsewhere is noticed)."""
    row = _active_row()
    if row is None:
        return _starter_classifier(), None, DEFAULT_THRESHOLD
    pk, threshold = row
    with _lock:
        cached = _loaded.get("db")
        if cached is None or cached[0] != pk:
            blob = TriageModel.objects.values_list("blob", flat=True).get(pk=pk)
            cached = (pk, classifier.Classifier.loads(bytes(blob)))
            _loaded["db"] = cached
    return cached[1], pk, threshold


def suggest_text(
    *, subject: str = "", description: str = "", tier: str = "regular", complexity: str = "general"
) -> Suggestion:
    """The suggestion for a text. Pure reads; nothing stored (see triage_ticket_received)."""
    text = f"{subject}\n{description}".strip()
    model, version, threshold = _current()
    prediction = model.predict([text])[0]
    flag = foodsafety.detect(text)
    route = rules.suggest_route(problem_type=prediction.label, complexity=complexity, tier=tier)
    return Suggestion(
        problem_type=prediction.label,
        team_code=route.team_code,
        reason=str(route.reason),
        confidence=prediction.confidence,
        abstained=prediction.confidence < threshold,
        food_safety=flag.flagged,
        food_safety_terms=flag.terms,
        model_version=version,
        suggested_severity="major" if flag.flagged else "",
    )


# savepoint=False: every caller creates the ticket in the same transaction and lets an error undo
# both, so a savepoint of its own would only add two statements to each ticket creation (#20).
@transaction.atomic(savepoint=False)
def triage_ticket_received(*, ticket: Any, text: str = "") -> TriageSuggestion:
    """Record the suggestion for a newly received ticket (every intake path calls this once, in the
    transaction that created the ticket). `text`: what the customer wrote, when it is more than the
    ticket's subject and description (an email body, a chat transcript).

    A food-safety report acts at once, whatever the model says (#15; S1 §七): the priority goes to
    urgent through the ticket service (timeline, audit, clocks), the supervisors are notified, and
    the triage panel suggests a major complaint.
    """
    tier = getattr(getattr(ticket, "customer", None), "tier", "regular") or "regular"
    s = suggest_text(subject=ticket.subject, description=f"{ticket.description}\n{text}".strip(), tier=tier)
    row = TriageSuggestion(
        ticket=ticket,
        model_version=s.model_version,
        problem_type=s.problem_type,
        team_code=s.team_code,
        confidence=s.confidence,
        abstained=s.abstained,
        food_safety=s.food_safety,
        food_safety_terms=list(s.food_safety_terms),
    )
    rows_insert([row])  # the statement built once (#20); no model signals listen to suggestions
    if s.food_safety:
        _food_safety_act(ticket=ticket, terms=s.food_safety_terms)
    return row


def _food_safety_act(*, ticket: Any, terms: tuple[str, ...]) -> None:
    reason = _("Possible food-safety risk (%(terms)s).") % {"terms": "、".join(terms)}
    # Straight to urgent: one timeline entry and one reconciliation of the clocks (issue #20).
    ticket = ticket_services.ticket_escalate_priority(
        ticket=ticket, actor=None, reason=reason, to=Priority.URGENT
    )
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"food-safety:{ticket.pk}",
                "channel": "action",
                "template": "notify_supervisor",
                "ticket_id": ticket.pk,
                "payload": {
                    "ticket": ticket.number,
                    "text": _("%(n)s: possible food-safety risk reported (%(terms)s).")
                    % {"n": ticket.number, "terms": "、".join(terms)},
                },
            }
        ]
    )


def triage_outcome_record(*, ticket: Any, problem_type: str) -> None:
    """The person's decision at triage: stored beside the suggestion, so training learns from it."""
    suggestion = TriageSuggestion.objects.filter(ticket=ticket).order_by("-pk").first()
    if suggestion is None:
        return
    suggestion.final_problem_type = problem_type
    suggestion.overridden = problem_type != suggestion.problem_type
    suggestion.save(update_fields=["final_problem_type", "overridden"])


# Training and evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str
    weight: float = 1.0
    at: Any = None  # received time, for the time split


def installation_examples() -> list[LabelledText]:
    """Tickets a person triaged (not the starter set), oldest first; corrections weigh more."""
    overridden = set(TriageSuggestion.objects.filter(overridden=True).values_list("ticket_id", flat=True))
    rows = (
        Ticket.objects.exclude(status="new")
        .order_by("received_at", "pk")
        .values_list("pk", "subject", "description", "problem_type", "received_at")
    )
    return [
        LabelledText(f"{s}\n{d}".strip(), pt, OVERRIDE_WEIGHT if pk in overridden else 1.0, at)
        for pk, s, d, pt, at in rows.iterator(chunk_size=5000)
    ]


def _threshold(texts: list[str], labels: list[str], weights: list[float]) -> tuple[float, float]:
    """Lowest confidence at which cross-validated predictions are still ≥ 90 % right (and that accuracy)."""
    if len(texts) < MIN_FOR_THRESHOLD:
        return DEFAULT_THRESHOLD, 0.0
    idx = list(range(len(texts)))
    random.Random(0).shuffle(idx)
    folds = 5
    scored: list[tuple[float, bool]] = []
    for f in range(folds):
        test = set(idx[f::folds])
        train = [i for i in idx if i not in test]
        model = classifier.train(
            [texts[i] for i in train], [labels[i] for i in train], weights=[weights[i] for i in train]
        )
        test_idx = sorted(test)
        for i, p in zip(test_idx, model.predict([texts[i] for i in test_idx]), strict=True):
            scored.append((p.confidence, p.label == labels[i]))
    scored.sort(reverse=True)
    best, correct = DEFAULT_THRESHOLD, 0
    for n, (conf, ok) in enumerate(scored, 1):
        correct += ok
        if correct / n >= TARGET_PRECISION:
            best = conf
    overall = sum(ok for _, ok in scored) / len(scored)
    return min(best, DEFAULT_THRESHOLD), overall


def triage_train(*, progress: Callable[[str], None] | None = None, with_tickets: bool = True) -> TriageModel:
    """Train on the starter set plus this installation's triaged tickets; activate the new model."""
    starter = [LabelledText(e.text, e.problem_type) for e in dataset.load("starter")]
    own = installation_examples() if with_tickets else []
    data = starter + own
    texts = [d.text for d in data]
    labels = [d.label for d in data]
    weights = [d.weight for d in data]
    if progress:
        progress("calibrate")
    threshold, cv_accuracy = _threshold(texts, labels, weights)
    model = classifier.train(texts, labels, weights=weights, progress=progress)
    if progress:
        progress("store")
    # The supervisors' page shows how well this model's recipe does on data it did not see (#15).
    evaluation = triage_evaluate(own=own) if with_tickets else evaluate(starter, _heldout())
    evaluation.setdefault("split", "shipped held-out set")
    with transaction.atomic():
        TriageModel.objects.filter(active=True).update(active=False)
        row = TriageModel.objects.create(
            examples=len(data),
            from_tickets=len(own),
            threshold=threshold,
            metrics={
                "cv_accuracy": round(cv_accuracy, 4),
                "classes": model.classes,
                "evaluation": evaluation,
                "food_safety": food_safety_evaluate(dataset.load("heldout")),
            },
            blob=model.dumps(),
        )
        transaction.on_commit(_active.clear)
    return row


def _heldout() -> list[LabelledText]:
    return [LabelledText(e.text, e.problem_type) for e in dataset.load("heldout")]


def evaluate(train: list[LabelledText], test: list[LabelledText]) -> dict[str, Any]:
    """Per-class precision/recall, macro-F1, accuracy and the confusion matrix of a train/test split."""
    model = classifier.train(
        [t.text for t in train], [t.label for t in train], weights=[t.weight for t in train]
    )
    predictions = model.predict([t.text for t in test]) if test else []
    classes = sorted({t.label for t in train} | {t.label for t in test})
    confusion = {a: dict.fromkeys(classes, 0) for a in classes}
    for t, p in zip(test, predictions, strict=True):
        confusion[t.label][p.label] = confusion[t.label].get(p.label, 0) + 1
    per_class = {}
    for c in classes:
        tp = confusion[c][c]
        predicted = sum(confusion[a].get(c, 0) for a in classes)
        actual = sum(confusion[c].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    correct = sum(confusion[c][c] for c in classes)
    supported = [v["f1"] for v in per_class.values() if v["support"]]
    return {
        "train": len(train),
        "test": len(test),
        "accuracy": correct / len(test) if test else 0.0,
        "macro_f1": sum(supported) / len(supported) if supported else 0.0,
        "per_class": per_class,
        "confusion": confusion,
    }


def triage_evaluate(*, held_out_share: float = 0.2, own: list[LabelledText] | None = None) -> dict[str, Any]:
    """Time split (#15): train on the older tickets (+ starter set), test on the newest 20 %.

    With no triaged tickets yet, the shipped held-out set (never trained on) is the test set.
    """
    starter = [LabelledText(e.text, e.problem_type) for e in dataset.load("starter")]
    own = installation_examples() if own is None else own
    if len(own) >= 20:
        cut = int(len(own) * (1 - held_out_share))
        result = evaluate(starter + own[:cut], own[cut:])
        result["split"] = "time"
    else:
        result = evaluate(starter + own, _heldout())
        result["split"] = "shipped held-out set"
    return result


def food_safety_evaluate(examples: list[dataset.Example]) -> dict[str, float]:
    tp = fp = fn = 0
    for e in examples:
        flagged = foodsafety.detect(e.text).flagged
        tp += flagged and e.food_safety
        fp += flagged and not e.food_safety
        fn += (not flagged) and e.food_safety
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "positives": tp + fn,
    }

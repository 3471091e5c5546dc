"""Trained triage models and the suggestions they made (INT-6: "its accuracy is measured")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageModel(models.Model):
    """One trained classifier. The newest active row is the one every process predicts with."""

    created_at = models.DateTimeField(auto_now_add=True)
    examples = models.PositiveIntegerField(_("training examples"))
    from_tickets = models.PositiveIntegerField(_("of which from this installation's tickets"), default=0)
    # Below this confidence the suggestion abstains (chosen by cross-validation at training time).
    threshold = models.FloatField(default=0.5)
    metrics = models.JSONField(default=dict, blank=True)
    blob = models.BinaryField()  # classifier.Classifier.dumps(): JSON + NPZ, never a pickle
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("triage model")

    def __str__(self) -> str:
        return f"triage model v{self.pk}"


class TriageSuggestion(models.Model):
    """What the model suggested for one ticket and what the agent finally chose (the next training
    learns from the correction)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="triage_suggestions")
    model_version = models.PositiveIntegerField(null=True, blank=True)  # null: no model yet (rules only)
    created_at = models.DateTimeField(auto_now_add=True)
    problem_type = models.CharField(max_length=32, blank=True)
    team_code = models.CharField(max_length=40, blank=True)
    confidence = models.FloatField(default=0.0)
    abstained = models.BooleanField(default=False)
    food_safety = models.BooleanField(default=False)
    food_safety_terms = models.JSONField(default=list, blank=True)
    final_problem_type = models.CharField(max_length=32, blank=True)
    overridden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["ticket", "-id"], name="triage_sugg_ticket")]
        verbose_name = _("triage suggestion")

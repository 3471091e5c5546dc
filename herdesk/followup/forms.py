"""Forms of the follow-up pages: the call script, the review decision and closure, the survey."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import NOT_REACHED, AttemptOutcome

_TEXT = forms.TextInput(attrs={"class": "form-control form-control-sm"})
SCORES = [(str(i), str(i)) for i in range(1, 6)]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
CALL_OUTCOMES = [
    (v, label)
    for v, label in AttemptOutcome.choices
    if v in (AttemptOutcome.ANSWERED, AttemptOutcome.DECLINED, *NOT_REACHED)
]


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class CallForm(forms.Form):
    """The call script (S1 §三(三)2): fully solved? score 1–5, other needs, suggestions."""

    outcome = forms.ChoiceField(
        label=_("Outcome of the call"), choices=CALL_OUTCOMES, widget=forms.RadioSelect
    )
    fully_solved = forms.ChoiceField(
        label=_("Is the problem fully solved?"), choices=YES_NO, widget=forms.RadioSelect, required=False
    )
    # No default score (a default would be recorded without asking).
    score = forms.ChoiceField(
        label=_("Satisfaction (1 = very dissatisfied, 5 = very satisfied)"),
        choices=SCORES,
        widget=forms.RadioSelect,
        required=False,
    )
    other_needs = forms.CharField(
        label=_("Other needs"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    suggestions = forms.CharField(
        label=_("Suggestions"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "outcome": d["outcome"],
            "fully_solved": yes_no(d.get("fully_solved", "")),
            "score": int(d["score"]) if d.get("score") else None,
            "other_needs": d.get("other_needs", ""),
            "suggestions": d.get("suggestions", ""),
            "note": d.get("note", ""),
        }


class ReviewDecideForm(forms.Form):
    findings = forms.CharField(
        label=_("What went wrong (findings)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}),
    )
    action_1 = forms.CharField(label=_("Improvement action 1"), max_length=500, widget=_TEXT)
    action_1_due = forms.DateField(
        label=_("due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    action_2 = forms.CharField(label=_("Improvement action 2"), max_length=500, required=False, widget=_TEXT)
    action_2_due = forms.DateField(
        label=_("due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    action_3 = forms.CharField(label=_("Improvement action 3"), max_length=500, required=False, widget=_TEXT)
    action_3_due = forms.DateField(
        label=_("due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    reopen_ticket = forms.BooleanField(
        label=_("Reopen the ticket (the customer says it is not solved)"), required=False
    )

    def actions(self, owner: Any) -> list[dict[str, Any]]:
        d = self.cleaned_data
        return [
            {"description": d[f"action_{i}"], "owner": owner, "due_date": d.get(f"action_{i}_due")}
            for i in (1, 2, 3)
            if (d.get(f"action_{i}") or "").strip()
        ]


class ReviewCloseForm(forms.Form):
    closure_note = forms.CharField(
        label=_("Closure: what was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )


class SurveyForm(forms.Form):
    score = forms.ChoiceField(
        label=_("How satisfied are you with our service?"), choices=SCORES, widget=forms.RadioSelect
    )
    fully_solved = forms.ChoiceField(
        label=_("Is your problem fully solved?"), choices=YES_NO, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}),
    )


class SuggestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your suggestion"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    anonymous = forms.BooleanField(label=_("Send anonymously"), required=False, initial=True)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)

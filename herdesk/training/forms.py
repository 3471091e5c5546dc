"""Forms of the training pages (STF-2): parse and check input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ONBOARDING_MIN_WORKING_DAYS, ExamKind, QuestionKind, SessionKind
from .models import Module
from .selectors import staff_people

TEXTAREA = {"rows": 6}


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.username})"


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.username})"


class ModuleForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Letters, digits and hyphens, e.g. etiquette.")
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    materials = forms.CharField(label=_("Materials"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    required_for_onboarding = forms.BooleanField(label=_("Required in onboarding"), required=False)
    due_working_days = forms.IntegerField(
        label=_("Due within (working days)"), min_value=1, max_value=60, initial=5
    )


class ModuleEditForm(ModuleForm):
    active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ExamForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Exam type"), choices=ExamKind.choices)
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=80)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Question type"), choices=QuestionKind.choices)
    prompt = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100, initial=1)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One choice per line; start the correct ones with *. Leave empty for free text."),
    )
    guidance = forms.CharField(
        label=_("Grading guidance"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def parsed_choices(self) -> list[tuple[str, bool]]:
        out = []
        for line in (self.cleaned_data.get("choices") or "").splitlines():
            line = line.strip()
            if line:
                correct = line.startswith("*")
                out.append((line.lstrip("*").strip(), correct))
        return out


class AssignForm(forms.Form):
    agent = PersonField(label=_("Staff member"), queryset=staff_people())
    reason = forms.CharField(label=_("Reason"), max_length=300, initial=_("Assigned by the supervisor"))


class OnboardingForm(forms.Form):
    agent = PersonField(label=_("New agent"), queryset=staff_people())
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    working_days = forms.IntegerField(
        label=_("Working days"),
        min_value=ONBOARDING_MIN_WORKING_DAYS,
        max_value=60,
        initial=ONBOARDING_MIN_WORKING_DAYS,
    )
    mentor = PersonField(label=_("Mentor"), queryset=staff_people(), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Session type"), choices=SessionKind.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=10, max_value=600, initial=60
    )
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    module = forms.ModelChoiceField(
        label=_("Module"), queryset=Module.objects.filter(active=True), required=False
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    invitees = PeopleField(
        label=_("Participants"), queryset=staff_people(), required=False, widget=forms.CheckboxSelectMultiple
    )


class MentorForm(forms.Form):
    agent = PersonField(label=_("Agent"), queryset=staff_people())
    mentor = PersonField(label=_("Mentor"), queryset=staff_people())
    goal = forms.CharField(label=_("Goal"), max_length=300, required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

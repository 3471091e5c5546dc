"""Forms of the emergency pages: they parse input; services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from herdesk.catalog.models import Product

from .choices import Level, MessageChannel, UpdateKind

BLANK = [("", "—")]
LOCAL_DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _products() -> list[tuple[Any, str]]:
    return BLANK + [(p.pk, str(p)) for p in Product.objects.filter(is_active=True).order_by("name")]


class ScopeForm(forms.Form):
    """The search that selects tickets (and customers): product, batch, region, time window."""

    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, required=False, choices=()
    )
    batch = forms.CharField(label=_("Batch"), max_length=60, required=False)
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    q = forms.CharField(label=_("Words in the ticket"), max_length=200, required=False)
    since = forms.DateTimeField(label=_("Received from"), required=False, widget=LOCAL_DT)
    until = forms.DateTimeField(label=_("Received before"), required=False, widget=LOCAL_DT)
    equipment_model = forms.CharField(label=_("Equipment model"), max_length=80, required=False)
    equipment_region = forms.CharField(label=_("Installed in region"), max_length=60, required=False)

    TEXT = ("batch", "region", "q", "equipment_model", "equipment_region")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _products()  # type: ignore[attr-defined]

    def is_empty(self) -> bool:
        d = self.cleaned_data
        return not any(d.get(k) for k in ("product", "since", "until", *self.TEXT))

    def scope(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["product"] = Product.objects.filter(pk=d["product"]).first() if d.get("product") else None
        return {k: d.get(k) or ("" if k in self.TEXT else None) for k in self.fields}


class DrillForm(forms.Form):
    plan = forms.CharField(max_length=40)
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, choices=Level.choices)
    scheduled_for = forms.DateTimeField(label=_("Scheduled for"), widget=LOCAL_DT)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class AssessForm(forms.Form):
    risk_assessment = forms.CharField(
        label=_("Risk assessment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, choices=Level.choices)


class StatementForm(forms.Form):
    prefix = "st"
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, required=False, choices=()
    )
    batch = forms.CharField(label=_("Batch"), max_length=60, required=False)
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    public_statement = forms.CharField(
        label=_("Public statement (portal banner)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _products()  # type: ignore[attr-defined]


class UpdateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UpdateKind.choices)
    body = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class NotifyForm(forms.Form):
    prefix = "nt"
    SOURCES = [
        ("linked", _("Customers of the linked tickets")),
        ("scope", _("Customers by product, batch, region")),
        ("equipment", _("Owners of equipment by model and installation region")),
    ]
    source = forms.ChoiceField(label=_("Who"), choices=SOURCES, widget=forms.RadioSelect, initial="linked")
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=MessageChannel.choices, widget=forms.CheckboxSelectMultiple
    )
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, required=False, choices=()
    )
    batch = forms.CharField(label=_("Batch"), max_length=60, required=False)
    region = forms.CharField(label=_("Region"), max_length=60, required=False)
    equipment_model = forms.CharField(label=_("Equipment model"), max_length=80, required=False)
    equipment_region = forms.CharField(label=_("Installed in region"), max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = _products()  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    review_summary = forms.CharField(
        label=_("Post-incident review"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    findings = forms.CharField(
        label=_("Findings"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    steps = forms.CharField(
        label=_("Steps"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One step per line: text | owner | from level (1–4)."),
    )

    def step_rows(self) -> list[tuple[str, str, int]]:
        rows = []
        for line in self.cleaned_data["steps"].splitlines():
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                continue
            owner = parts[1] if len(parts) > 1 else ""
            level = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 4
            rows.append((parts[0], owner, level))
        return rows


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


def _style(*forms_: type[forms.Form]) -> None:
    """Bootstrap classes on every widget (the forms are rendered field by field)."""
    for cls in forms_:
        for f in cls.base_fields.values():
            w = f.widget
            if isinstance(w, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                w.attrs.setdefault("class", "form-check-input")
            elif isinstance(w, forms.Select):
                w.attrs.setdefault("class", "form-select form-select-sm")
            else:
                w.attrs.setdefault("class", "form-control form-control-sm")
            if f.label and not isinstance(w, forms.CheckboxSelectMultiple | forms.RadioSelect):
                w.attrs.setdefault("aria-label", f.label)
                if not isinstance(w, forms.Select | forms.DateTimeInput):
                    w.attrs.setdefault("placeholder", f.label)


_style(
    ScopeForm,
    DrillForm,
    AssessForm,
    StatementForm,
    UpdateForm,
    NotifyForm,
    ReviewForm,
    PlanForm,
    TemplateForm,
)

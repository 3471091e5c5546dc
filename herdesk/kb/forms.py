"""Forms of the knowledge-base pages: they parse input; kb.services validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from herdesk.catalog.models import Product
from herdesk.customers.choices import Tier
from herdesk.tickets.choices import ProblemType

from .choices import Audience, Kind, Season
from .selectors import category_tree

BLANK = [("", "—")]
TEXTAREA = {"rows": 4}


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=400, help_text=_("Separate with commas.")
    )
    problem_type = forms.ChoiceField(
        label=_("Problem type"), choices=BLANK + list(ProblemType.choices), required=False
    )
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, empty_value=None, required=False, choices=()
    )
    equipment_model = forms.CharField(label=_("Equipment model"), max_length=40, required=False)
    customer_tier = forms.ChoiceField(
        label=_("Customer tier"), choices=BLANK + list(Tier.choices), required=False
    )
    season = forms.ChoiceField(label=_("Season"), choices=BLANK + list(Season.choices), required=False)
    symptom = forms.CharField(label=_("Symptom"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    cause = forms.CharField(label=_("Cause"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    solution = forms.CharField(label=_("Solution"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    steps = forms.CharField(label=_("Steps"), required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (c.pk, "\u3000" * depth + c.name) for c, depth in category_tree()
        ]
        self.fields["product"].choices = BLANK + [  # type: ignore[attr-defined]
            (p.pk, str(p)) for p in Product.objects.filter(is_active=True)
        ]

    def content(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {k: d.get(k, "") for k in ("title", "symptom", "cause", "solution", "steps")}

    def meta(self) -> dict[str, Any]:
        d = self.cleaned_data
        keys = ("category", "kind", "audience", "tags", "problem_type", "product", "equipment_model")
        return {k: d.get(k) for k in (*keys, "customer_tier", "season")}


def initial_from(article: Any, version: Any) -> dict[str, Any]:
    meta = dict(version.meta or {}) if version is not None else {}
    return {
        "title": version.title if version else "",
        "symptom": version.symptom if version else "",
        "cause": version.cause if version else "",
        "solution": version.solution if version else "",
        "steps": version.steps if version else "",
        "category": meta.get("category") or article.category_id,
        "kind": meta.get("kind") or article.kind,
        "audience": meta.get("audience") or article.audience,
        "tags": ", ".join(meta.get("tags") or [t.name for t in article.tags.all()]),
        "problem_type": meta.get("problem_type", article.problem_type),
        "product": meta.get("product", article.product_id),
        "equipment_model": meta.get("equipment_model", article.equipment_model),
        "customer_tier": meta.get("customer_tier", article.customer_tier),
        "season": meta.get("season", article.season),
    }


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SynonymForm(forms.Form):
    terms = forms.CharField(
        label=_("Equivalent words"),
        max_length=800,
        help_text=_("For example: 乳房炎 = 乳腺炎"),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))

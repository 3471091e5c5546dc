"""The on-site visit form (CLS-3): what `tickets.services.onsite_visit_record` needs for a complete
record. Kept apart from forms.py (its own page module, views_onsite.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class OnsiteVisitForm(forms.Form):
    content = forms.CharField(
        label=_("Service content"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
    started_at = forms.DateTimeField(
        label=_("Visit started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )
    ended_at = forms.DateTimeField(
        label=_("Visit ended"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    staff = forms.CharField(
        label=_("Staff on site"),
        max_length=200,
        required=False,
        help_text=_("You are recorded as the author; name anyone else who was there."),
    )
    customer_confirmation = forms.CharField(
        label=_("Customer confirmation or signature"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who confirmed and what, e.g. “Signed by Zhang San: machine working normally”."),
    )

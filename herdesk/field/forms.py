"""Forms of the field-service pages: parse input only; the services validate the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EquipmentStatus, Frequency, IntervalKind, WorkOrderKind

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EquipmentForm(forms.Form):
    customer_id = forms.IntegerField(label=_("Customer id"), min_value=1)
    serial = forms.CharField(label=_("Serial number"), max_length=80)
    product_code = forms.CharField(label=_("Product code"), max_length=40, required=False)
    model = forms.CharField(label=_("Model"), max_length=80, required=False)
    purchased_on = forms.DateField(label=_("Purchase date"), required=False, widget=DATE)
    installed_on = forms.DateField(label=_("Installation date"), required=False, widget=DATE)
    warranty_months = forms.IntegerField(label=_("Warranty (months)"), min_value=0, max_value=240, initial=12)
    warranty_terms = forms.CharField(
        label=_("Warranty terms"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    barn = forms.CharField(label=_("Barn"), max_length=80, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    latitude = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9, decimal_places=6)
    status = forms.ChoiceField(
        label=_("Status"), choices=EquipmentStatus.choices, initial=EquipmentStatus.IN_SERVICE
    )


class EquipmentEditForm(EquipmentForm):
    """The equipment page's edit form: the registry facts; the owner and the serial number (the QR
    label, the service history) do not change here."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name in ("customer_id", "serial", "product_code"):
            del self.fields[name]


class MeterForm(forms.Form):
    value = forms.IntegerField(label=_("Meter reading (hours)"), min_value=0, max_value=10_000_000)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    file = forms.FileField(label=_("File"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("XLSX or CSV file"))
    dry_run = forms.BooleanField(label=_("Dry run (check only, write nothing)"), required=False, initial=True)


class WorkOrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=WorkOrderKind.choices, initial=WorkOrderKind.REPAIR)
    content = forms.CharField(
        label=_("Service content"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    checklist = forms.CharField(
        label=_("Checklist (one item a line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ScheduleForm(forms.Form):
    engineers = forms.MultipleChoiceField(label=_("Engineers"), choices=[])
    start = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)
    )
    hours = forms.DecimalField(label=_("Hours"), min_value=0.5, max_value=72, initial=2, decimal_places=1)

    def __init__(self, *args, engineers=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["engineers"].choices = [(str(e.pk), str(e)) for e in engineers]  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PartForm(forms.Form):
    part = forms.ChoiceField(label=_("Part"), choices=[])
    store = forms.ChoiceField(label=_("From"), choices=[])
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000, initial=1)


class CompleteForm(forms.Form):
    findings = forms.CharField(
        label=_("Findings and work done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    meter_hours = forms.IntegerField(label=_("Meter reading (hours)"), min_value=0, required=False)
    signed_by = forms.CharField(label=_("Customer's name"), max_length=80)
    confirmation = forms.CharField(label=_("Customer's remarks"), max_length=500, required=False)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)


class AlertForm(forms.Form):
    farm = forms.IntegerField(label=_("Farm (organisation id)"), min_value=1)
    disease = forms.CharField(label=_("Disease"), max_length=80)


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Plan name"), max_length=120)  # not "Name": zh 姓名 is a person's
    product_code = forms.CharField(
        label=_("Product code (every piece of this model)"), max_length=40, required=False
    )
    equipment_serial = forms.CharField(label=_("Or one piece (serial number)"), max_length=80, required=False)
    interval_kind = forms.ChoiceField(label=_("Interval"), choices=IntervalKind.choices)
    interval = forms.IntegerField(label=_("Every"), min_value=1, max_value=365, initial=3)
    frequency = forms.ChoiceField(label=_("Unit"), choices=Frequency.choices, initial=Frequency.MONTHLY)
    meter_interval = forms.IntegerField(label=_("Every N operating hours"), min_value=0, required=False)
    lead_days = forms.IntegerField(label=_("Lead time (days)"), min_value=0, max_value=365, initial=14)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    checklist = forms.CharField(
        label=_("Checklist (one item a line)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    parts = forms.CharField(
        label=_("Parts to reserve (one a line: part code and quantity, e.g. P-LINER 2)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

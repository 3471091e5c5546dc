"""The equipment edit page (FLD-1), apart from `views.py` to keep each module small. Thin: the form
parses, `services.equipment_update` validates and audits."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from herdesk.common.errors import DomainError

from . import services
from .forms import EquipmentEditForm
from .views import _apply_errors, _equipment_or_404, _need, _page, staff_required

EDITABLE = [f for f in services.EQUIPMENT_FIELDS if f not in ("product", "farm")]


@staff_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "field.change_equipment")
    eq = _equipment_or_404(pk)
    initial = {f: getattr(eq, f) for f in EDITABLE}
    form = EquipmentEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changes = {f: form.cleaned_data[f] for f in EDITABLE if f in form.cleaned_data}
            changes = {
                k: ("" if v is None and k in ("warranty_terms", "barn", "address") else v)
                for k, v in changes.items()
            }
            try:
                services.equipment_update(actor=request.user, equipment=eq, **changes)
            except (ValidationError, DomainError) as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Equipment updated."))
                return redirect("field:equipment", pk=eq.pk)
        status = 400
    return _page(
        request, "field/equipment_edit.html", {"active": "field", "form": form, "eq": eq}, status=status
    )

"""Customers in the admin show no personal data: contacts are edited through the services.

Only tier and account manager are editable here, through `customer_account_set` (audited, issue
#12): they decide stricter service targets (POL-4) and who sees the account's tickets (SEC-3).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from .models import Customer, Organisation
from .services import customer_account_set


class _AccountOnlyAdmin(admin.ModelAdmin):
    editable = ("tier", "account_manager")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f for f in self.get_fields(request, obj) if f not in self.editable]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers are created through intake, the portal and the API (services)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # erasure is a data-subject request (SEC-4/6), not a delete

    def get_actions(self, request: HttpRequest) -> Any:
        return {}

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "account_manager":
            # The staff user model by setting, not by import: staff sits beside customers (layers).
            kwargs["queryset"] = get_user_model().objects.filter(customer__isnull=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        customer_account_set(
            target=obj,
            tier=form.cleaned_data["tier"],
            account_manager=form.cleaned_data["account_manager"],
            actor=request.user,
        )


@admin.register(Organisation)
class OrganisationAdmin(_AccountOnlyAdmin):
    list_display = ("name", "kind", "region", "tier", "account_manager", "lifecycle_stage")
    list_filter = ("kind", "tier", "lifecycle_stage")
    search_fields = ("name",)
    fields = ("name", "kind", "region", "tier", "account_manager", "lifecycle_stage")


@admin.register(Customer)
class CustomerAdmin(_AccountOnlyAdmin):
    list_display = ("name", "kind", "organisation", "region", "tier", "lifecycle_stage")
    list_filter = ("kind", "tier", "lifecycle_stage")
    search_fields = ("name",)
    # encrypted personal data (address, ID number) is never shown unmasked here
    fields = ("name", "kind", "organisation", "region", "tier", "account_manager", "lifecycle_stage")
    list_select_related = ("organisation",)

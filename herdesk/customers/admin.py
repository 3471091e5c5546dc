"""Customers in the admin show no personal data: contacts are edited through the services."""

from django.contrib import admin

from .models import Customer, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "tier", "account_manager", "lifecycle_stage")
    list_filter = ("kind", "tier", "lifecycle_stage")
    search_fields = ("name",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "organisation", "region", "tier", "lifecycle_stage")
    list_filter = ("kind", "tier", "lifecycle_stage")
    search_fields = ("name",)
    exclude = ("address", "id_number")  # encrypted personal data is never shown unmasked here
    list_select_related = ("organisation",)

from django.contrib import admin

from . import selectors
from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "occurred_at", "actor_name", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_name")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return selectors.admin_queryset()  # reads of the log go through the audit selectors

    # Append-only: the admin can read but never change or delete entries.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

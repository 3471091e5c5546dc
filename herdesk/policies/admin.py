"""Policies are read in the admin; versions change only through the draft → approve services."""

from django.contrib import admin

from .models import ClockDefinition, PolicyVersion, ServicePolicy


class ClockDefinitionInline(admin.TabularInline):
    model = ClockDefinition
    extra = 0
    fields = (
        "kind",
        "applies_to",
        "start_event",
        "stop_event",
        "pause_statuses",
        "target",
        "calendar_code",
        "warn_at_percent",
        "breach_actions",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ServicePolicy)
class ServicePolicyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("policy", "number", "status", "effective_from", "approved_by", "approved_at")
    list_filter = ("status", "policy")
    inlines = [ClockDefinitionInline]
    readonly_fields = (
        "policy",
        "number",
        "status",
        "effective_from",
        "approved_by",
        "approved_at",
        "submitted_by",
        "created_by",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

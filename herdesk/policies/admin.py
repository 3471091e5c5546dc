"""Policies are read in the admin; versions change only through the draft → approve services.

No unaudited switch (issue #12): which policy is in force is not editable here (S1 §六: a change to
the regulation is a new version approved by management, made on the policy pages of the
workspace); a policy's name and description change through `services.policy_describe` (audited).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import ClockDefinition, PolicyVersion, ServicePolicy


class ClockDefinitionInline(admin.TabularInline[ClockDefinition, PolicyVersion]):
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

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServicePolicy)
class ServicePolicyAdmin(admin.ModelAdmin[ServicePolicy]):
    list_display = ("code", "name", "is_active")
    fields = ("code", "name", "description", "is_active")
    readonly_fields = ("code", "is_active")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the shipped templates are installed by `herdesk demo load` / migrations

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> Any:
        return {}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.policy_describe(
            policy=obj,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            actor=request.user,
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin[PolicyVersion]):
    list_display = ("policy", "number", "status", "effective_from", "approved_by", "approved_at")
    list_filter = ("status", "policy")
    inlines = [ClockDefinitionInline]
    readonly_fields = (
        "policy",
        "number",
        "status",
        "effective_from",
        "notes",
        "approved_by",
        "approved_at",
        "submitted_by",
        "created_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # drafts are edited, submitted and approved on the workspace's policy pages

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

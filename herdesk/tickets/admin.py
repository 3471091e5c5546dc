"""Reference data in the admin (categories). Tickets are read-only here: changes go through the
workspace and the services, so the lifecycle, clocks and audit log stay consistent."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Category, Ticket


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("code", "name", "name_en", "problem_type", "parent", "is_active")
    list_filter = ("problem_type", "is_active")
    search_fields = ("code", "name", "name_en")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = (
        "number",
        "subject",
        "status",
        "channel",
        "problem_type",
        "team",
        "assignee",
        "received_at",
    )
    list_filter = ("status", "channel", "problem_type", "team")
    search_fields = ("number",)
    list_select_related = ("team", "assignee")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

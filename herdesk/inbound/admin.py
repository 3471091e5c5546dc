"""Quarantine in Django admin: administrators see stored payloads and reprocess or discard them
through the services (both audited). Payloads are never edited or deleted here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import InboundPayload, InboundSource
from .selectors import channel_health


@admin.register(InboundPayload)
class InboundPayloadAdmin(admin.ModelAdmin[InboundPayload]):
    list_display = (
        "id",
        "channel",
        "source",
        "state",
        "reason_code",
        "external_id",
        "size",
        "deliveries",
        "duplicate_count",
        "ticket",
        "received_at",
    )
    list_filter = ("state", "channel", "source", "reason_code")
    search_fields = ("external_id", "sha256")
    list_select_related = ("ticket",)
    show_full_result_count = False
    ordering = ("-id",)
    actions = ("reprocess", "discard")
    exclude = ("raw",)
    readonly_fields = (
        "channel",
        "source",
        "external_id",
        "dedupe_key",
        "content_key",
        "sha256",
        "size",
        "download",
        "meta",
        "state",
        "attempts",
        "deliveries",
        "duplicate_count",
        "last_duplicate_at",
        "duplicate_of",
        "reason_code",
        "reason",
        "result",
        "ticket",
        "received_at",
        "processed_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundPayload]:
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("original"))
    def download(self, obj: InboundPayload) -> str:
        url = reverse("inbound:payload_raw", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> ({} bytes, SHA-256 {})', url, _("download"), obj.size, obj.sha256
        )

    @admin.action(description=gettext_lazy("Reprocess the selected payloads"), permissions=["change"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundPayload]) -> None:
        done = refused = 0
        for payload in queryset.defer("raw"):
            try:
                result = services.payload_reprocess(payload=payload, actor=request.user)
            except ValidationError:
                refused += 1
                continue
            done += 1
            if result.state != "processed":
                self.message_user(
                    request,
                    _("Payload #%(id)d is %(state)s again: %(reason)s")
                    % {"id": payload.pk, "state": result.state, "reason": result.reason[:200]},
                    messages.WARNING,
                )
        self.message_user(
            request,
            _("Reprocessed %(done)d payloads; %(refused)d could not be.")
            % {"done": done, "refused": refused},
        )

    @admin.action(description=gettext_lazy("Discard the selected payloads"), permissions=["change"])
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundPayload]) -> None:
        done = refused = 0
        reason = _("Discarded in the admin by %(user)s") % {"user": request.user}
        for payload in queryset.defer("raw"):
            try:
                services.payload_discard(payload=payload, actor=request.user, reason=reason)
                done += 1
            except ValidationError:
                refused += 1
        self.message_user(
            request,
            _("Discarded %(done)d payloads; %(refused)d could not be.") % {"done": done, "refused": refused},
        )


@admin.register(InboundSource)
class InboundSourceAdmin(admin.ModelAdmin[InboundSource]):
    list_display = (
        "channel",
        "code",
        "label",
        "active",
        "last_success_at",
        "last_attempt_at",
        "consecutive_failures",
        "fetched_total",
    )
    list_filter = ("channel", "active")
    readonly_fields = (
        "channel",
        "code",
        "label",
        "active",
        "poll_interval_seconds",
        "last_attempt_at",
        "last_success_at",
        "last_error_at",
        "last_error",
        "consecutive_failures",
        "fetched_total",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra_context = {**(extra_context or {}), "health": channel_health()}
        return super().changelist_view(request, extra_context=extra_context)

"""Customer notice preferences in the admin: staff record a customer's wish given by phone ("text me,
don't e-mail"); saved through the audited service, like the portal page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .customer_notices import notice_preference_set
from .models import CustomerNoticePreference


@admin.register(CustomerNoticePreference)
class CustomerNoticePreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "channel", "opt_out_non_essential", "updated_at")
    list_filter = ("channel", "opt_out_non_essential")
    search_fields = ("customer__name",)
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        row = notice_preference_set(
            customer=obj.customer,
            actor=request.user,
            channel=obj.channel,
            opt_out_non_essential=obj.opt_out_non_essential,
        )
        obj.pk, obj.updated_at = row.pk, row.updated_at

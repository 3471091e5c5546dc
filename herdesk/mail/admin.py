"""Mailboxes are configured in the admin through the services (validated, audited, the password
encrypted and never shown back). Emails are read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import EmailMessage, Mailbox
from .services import MAILBOX_FIELDS


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), help_text="Leave empty to keep."
    )

    class Meta:
        model = Mailbox
        fields = ("code", *MAILBOX_FIELDS)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("code", "address", "kind", "imap_host", "imap_folder", "after_fetch", "active")
    list_filter = ("kind", "active")

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in MAILBOX_FIELDS if f in form.cleaned_data}
        if change:
            saved = services.mailbox_update(mailbox=obj, actor=request.user, **data)
        else:
            data.pop("address", None)
            saved = services.mailbox_create(
                code=form.cleaned_data["code"],
                address=form.cleaned_data["address"],
                actor=request.user,
                **data,
            )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: stored mail keeps pointing at its mailbox


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "direction", "mailbox", "message_id", "ticket", "delivery_status", "created_at")
    list_filter = ("direction", "delivery_status", "mailbox")
    search_fields = ("message_id",)
    list_select_related = ("mailbox", "ticket")
    exclude = ("from_addr", "to_addrs", "cc_addrs", "html_safe")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

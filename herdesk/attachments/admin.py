from django.contrib import admin

from .models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only: files are added through the ticket page (checked by the service), never here."""

    list_display = (
        "original_name",
        "ticket",
        "content_type",
        "size",
        "is_public",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("content_type", "is_public")
    search_fields = ("original_name", "ticket__number", "sha256")
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

from typing import Any

from django.contrib import admin

from .models import SavedReply, SavedView
from .services import saved_reply_save


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "problem_type", "is_active", "position", "updated_at")
    list_filter = ("problem_type", "is_active")
    list_editable = ("is_active", "position")
    search_fields = ("title", "body")

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        # The same service every other write path uses (validation + audit).
        saved_reply_save(reply=obj, actor=request.user)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "queue", "created_at")
    list_filter = ("queue",)
    search_fields = ("name", "owner__username")

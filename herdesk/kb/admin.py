"""Reference data of the knowledge base in the admin: the category tree and its reviewers.
Articles are read-only here: they change through the workspace pages and kb.services, so the
review workflow, timeline and audit log stay consistent. Synonyms have their own page (/kb/synonyms/)."""

from django.contrib import admin

from .models import Article, KbCategory


@admin.register(KbCategory)
class KbCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "parent", "position")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("reviewers",)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("number", "category", "audience", "kind", "is_archived", "updated_at")
    list_filter = ("audience", "kind", "is_archived")
    search_fields = ("number",)
    readonly_fields = [f.name for f in Article._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

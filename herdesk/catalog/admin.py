from django.contrib import admin

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "model_number", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "model_number")

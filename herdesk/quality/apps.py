from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.quality"
    label = "quality"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.kb"
    label = "kb"
    default_auto_field = "django.db.models.BigAutoField"

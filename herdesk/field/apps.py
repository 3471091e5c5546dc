from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.field"
    label = "field"
    default_auto_field = "django.db.models.BigAutoField"

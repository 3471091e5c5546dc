from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.emergency"
    label = "emergency"
    default_auto_field = "django.db.models.BigAutoField"

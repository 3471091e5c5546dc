from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.complaints"
    label = "complaints"
    default_auto_field = "django.db.models.BigAutoField"

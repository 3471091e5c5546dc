from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.training"
    label = "training"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

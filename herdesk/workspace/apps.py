from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

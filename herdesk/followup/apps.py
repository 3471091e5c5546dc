from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.followup"
    label = "followup"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.policies"
    label = "policies"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.common"
    label = "common"
    default_auto_field = "django.db.models.BigAutoField"

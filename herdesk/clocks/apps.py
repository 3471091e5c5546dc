from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.clocks"
    label = "clocks"
    default_auto_field = "django.db.models.BigAutoField"

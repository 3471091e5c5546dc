from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.savedviews"
    label = "savedviews"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Customer portal"

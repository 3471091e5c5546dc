from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.sms"
    label = "sms"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "SMS"

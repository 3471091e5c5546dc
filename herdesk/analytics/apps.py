from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "herdesk.analytics"
    verbose_name = _("Analytics and reports")
    default_auto_field = "django.db.models.BigAutoField"

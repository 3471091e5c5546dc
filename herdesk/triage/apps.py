from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "herdesk.triage"
    verbose_name = _("Automatic triage")
    default_auto_field = "django.db.models.BigAutoField"

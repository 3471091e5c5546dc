from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """Shared inbound-channel machinery: raw payloads, quarantine, exactly-once, health."""

    name = "herdesk.inbound"
    label = "inbound"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Inbound channels")

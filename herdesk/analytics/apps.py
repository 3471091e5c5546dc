from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "herdesk.analytics"
    verbose_name = _("Analytics and reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registration only: management is told in-app that the monthly report pack is ready.
        from herdesk.notifications.kinds import outbox_kind_register

        outbox_kind_register(channel="internal", template="report_ready", payload=("text",))

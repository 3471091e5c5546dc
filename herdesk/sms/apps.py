from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.sms"
    label = "sms"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "SMS"

    def ready(self) -> None:
        # Registration only: the outbox sends channel "sms" rows through this adapter.
        from herdesk.notifications.services import OUTBOX_ADAPTERS

        OUTBOX_ADAPTERS.setdefault("sms", "herdesk.sms.outbound.SmsAdapter")

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
        # Customer notices by text message name their recipient here (notifications.registry).
        from herdesk.notifications.registry import notice_recipient_register

        notice_recipient_register("sms", "herdesk.sms.services:notice_recipient")
        # The outbox kinds of this channel: its purposes (providers file one template per purpose).
        from herdesk.notifications.kinds import outbox_kind_register

        from .choices import SmsPurpose

        for purpose in SmsPurpose:
            outbox_kind_register(channel="sms", template=purpose.value, payload=("text",))

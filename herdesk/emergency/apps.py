from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.emergency"
    label = "emergency"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox kinds this app queues: the mass notification of an incident, on each channel
        # (its payload differs per channel, so no key is required here).
        from herdesk.notifications.kinds import outbox_kind_register

        for channel in ("email", "sms", "wechat"):
            outbox_kind_register(channel=channel, template="emergency")

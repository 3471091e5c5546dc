from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.followup"
    label = "followup"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox kinds this app queues: the survey link on the customer's channel.
        from herdesk.notifications.kinds import outbox_kind_register

        for channel in ("email", "sms", "wechat"):
            outbox_kind_register(channel=channel, template="survey", payload=("text",))

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.wechat"
    label = "wechat"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "WeChat official account"

    def ready(self) -> None:
        # Inbound pushes are processed by ingest.process_payload; replies leave through the outbox.
        from herdesk.inbound.registry import handler_register

        handler_register("wechat", "herdesk.wechat.ingest:process_payload")
        from herdesk.notifications.services import OUTBOX_ADAPTERS

        OUTBOX_ADAPTERS.setdefault("wechat", "herdesk.wechat.outbound.WeChatAdapter")
        # Customer notices on WeChat go to the openid named here (notifications.registry).
        from herdesk.notifications.registry import notice_recipient_register

        notice_recipient_register("wechat", "herdesk.wechat.services:openid_for")
        from herdesk.notifications.kinds import outbox_kind_register

        from .choices import OutboundTemplate

        outbox_kind_register(channel="wechat", template=OutboundTemplate.TEXT.value, payload=("text",))

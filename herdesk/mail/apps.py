from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """The email channel: IMAP polling, SMTP receiving, parsing, threading, outbound adapter."""

    name = "herdesk.mail"
    label = "mail"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        # Registration only (no business logic): inbound calls this handler for "email" payloads.
        from herdesk.inbound.registry import handler_register

        handler_register("email", "herdesk.mail.ingest:process_payload")
        # The outbox kinds this channel queues (the acknowledgement is a customer notice: core).
        from herdesk.notifications.kinds import outbox_kind_register

        for template in ("reply", "oversized_notice"):
            outbox_kind_register(channel="email", template=template, payload=("subject", "text"))

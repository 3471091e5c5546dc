from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.field"
    label = "field"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox kind this app queues: the service report (PDF attached) to the customer.
        from herdesk.notifications.kinds import outbox_kind_register

        outbox_kind_register(channel="email", template="field_service_report", payload=("subject", "text"))

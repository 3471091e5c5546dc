from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.phone"
    label = "phone"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Hotline / CTI"

    def ready(self) -> None:
        from herdesk.inbound.registry import handler_register

        handler_register("phone", "herdesk.phone.ingest:process_payload")

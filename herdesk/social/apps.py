from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.social"
    label = "social"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Social media"

    def ready(self) -> None:
        from herdesk.inbound.registry import handler_register

        handler_register("social", "herdesk.social.ingest:process_payload")

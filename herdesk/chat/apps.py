from django.apps import AppConfig


class Config(AppConfig):
    # Label "chat", never "channels": that label belongs to the Django Channels package.
    name = "herdesk.chat"
    label = "chat"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from herdesk.inbound.registry import handler_register

        handler_register("chat", "herdesk.chat.ingest:process_payload")

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.calendars"
    label = "calendars"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the cache-invalidation receivers)

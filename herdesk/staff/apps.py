from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.staff"
    label = "staff"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signin  # noqa: F401  (connects the lockout audit receiver)

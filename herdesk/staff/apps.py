from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.staff"
    label = "staff"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signin, twofactor  # noqa: F401  (connect the lockout and enrolment receivers)

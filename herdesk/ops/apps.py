from django.apps import AppConfig


class Config(AppConfig):
    """Operations: metrics, Celery task wrappers, worker/beat commands, the benchmark data generator."""

    name = "herdesk.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

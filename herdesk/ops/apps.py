from django.apps import AppConfig


class Config(AppConfig):
    """Operations: periodic jobs and the scheduler, Celery task wrappers, serve/worker/beat commands,
    metrics, health. (The benchmark data generator is in bench/.)"""

    name = "herdesk.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"

"""Herdesk (牧服): customer service and after-sales management under a timed service regulation."""

try:  # Celery is optional for the embedded default; load its app when present so @shared_task binds.
    from config.celery import app as celery_app
except Exception:  # pragma: no cover
    celery_app = None

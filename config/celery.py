"""Celery app for the deployment at scale (`herdesk worker`, `herdesk beat`).

Broker: REDIS_URL (base settings). The beat schedule (clock sweep, outbox dispatch, mailbox polling
when the email app exists) is CELERY_BEAT_SCHEDULE in config/settings/base.py; the tasks are
herdesk.ops.tasks.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
app = Celery("herdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

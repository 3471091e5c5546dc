"""Celery task for the audit anchor (beat: CELERY_BEAT_SCHEDULE["audit-anchor"]); the embedded
scheduler calls herdesk.audit.services.audit_anchor itself."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="herdesk.audit_anchor", ignore_result=True)
def audit_anchor() -> Any:
    from herdesk.audit.services import audit_anchor as anchor

    return anchor()

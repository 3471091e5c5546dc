"""Choice lists of the notifications app (the app skeleton, docs/architecture/apps.md).
`OutboxStatus` is also importable from herdesk.notifications.models, where it used to live."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")

"""Choice lists of the clocks app (the app skeleton, docs/architecture/apps.md). `ClockState` is
also importable from herdesk.clocks.models, where it used to live."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")

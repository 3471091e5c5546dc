from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckStatus(models.TextChoices):
    """Result of one readiness check (/readyz)."""

    OK = "ok", _("OK")
    # Reported but not fatal: the web process can still serve (e.g. the scheduler is late).
    DEGRADED = "degraded", _("Degraded")
    FAIL = "fail", _("Failed")
    SKIPPED = "skipped", _("Not configured")

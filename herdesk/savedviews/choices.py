from django.db import models
from django.utils.translation import gettext_lazy as _


class Queue(models.TextChoices):
    """The workspace queues a saved view can open (see herdesk.workspace.selectors)."""

    MINE = "mine", _("My tickets")
    TEAM = "team", _("My team's queue")
    UNASSIGNED = "unassigned", _("Unassigned")
    TO_ACKNOWLEDGE = "to_ack", _("Waiting for my acknowledgement")
    SOON = "soon", _("Breaching soon")
    BREACHED = "breached", _("Breached")
    WAITING = "waiting", _("Waiting for customer")
    ALL = "all", _("All open tickets")

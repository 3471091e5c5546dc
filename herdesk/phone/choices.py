from django.db import models
from django.utils.translation import gettext_lazy as _


class CallEvent(models.TextChoices):
    """The CTI events Herdesk understands (INT-1: call start/end, caller number, recording)."""

    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In conversation")
    COMPLETED = "completed", _("Completed")
    # Rang at an agent's extension and nobody picked up.
    MISSED = "missed", _("Missed")
    # The caller hung up in the queue or the voice menu before reaching anybody.
    ABANDONED = "abandoned", _("Abandoned")


UNANSWERED = (CallStatus.MISSED, CallStatus.ABANDONED)

from django.db import models
from django.utils.translation import gettext_lazy as _

CHANNEL = "email"  # the inbound/outbox channel code of this app


class MailboxKind(models.TextChoices):
    """S1 §二(二)1: the official service mailbox is a primary channel (30 minutes); non-work
    mailboxes are secondary (2 working hours)."""

    PRIMARY = "primary", _("Official service mailbox (primary)")
    SECONDARY = "secondary", _("Non-work mailbox (secondary)")


class AfterFetch(models.TextChoices):
    """What the poller does on the IMAP server once a message is stored (never before)."""

    SEEN = "seen", _("Flag as seen")
    MOVE = "move", _("Move to a folder")
    DELETE = "delete", _("Delete")


class EmailDirection(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Retrying")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    DELAYED = "delayed", _("Delayed")
    DELIVERED = "delivered", _("Delivered")
    DISPLAYED = "displayed", _("Read")
    COMPLAINED = "complained", _("Marked as spam")

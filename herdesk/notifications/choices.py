"""Choice lists of the notifications app: outbox status, kinds of staff notifications and of customer
notices, the customer's channel preference. `OutboxStatus` is also importable from
herdesk.notifications.models, where it used to live."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationKind(models.TextChoices):
    """What a staff member is told about (issue 12: every promise reaches a person)."""

    CLOCK_WARNING = "clock_warning", _("Clock warning")
    CLOCK_BREACH = "clock_breach", _("Clock breach")
    ASSIGNMENT = "assignment", _("Assignment")
    TRANSFER = "transfer", _("Transfer")
    MENTION = "mention", _("Mention")
    DISPUTE = "dispute", _("Resolution disputed")
    LOW_SCORE = "low_score", _("Low satisfaction score")
    APPROVAL = "approval", _("Approval request")
    OTHER = "other", _("Other")


class NoticeKind(models.TextChoices):
    """Notices a customer receives about their own request."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Request received")
    RENEGOTIATION = "renegotiation", _("New expected time")
    OPTIONS = "options", _("Solution options offered")
    RESOLUTION = "resolution", _("Resolution to confirm")
    CLOSING = "closing", _("Request closed")


# Notices the regulation requires us to give, or that need the customer's answer: sent even when the
# customer opted out of the others. INT-2 (acknowledgement with the estimate), HND-5 (tell the
# customer before a target is missed), HND-3 (the customer chooses an option), CLS-1 (the customer
# verifies the resolution).
ESSENTIAL_NOTICES = frozenset(
    {NoticeKind.ACKNOWLEDGEMENT, NoticeKind.RENEGOTIATION, NoticeKind.OPTIONS, NoticeKind.RESOLUTION}
)


class NoticeChannel(models.TextChoices):
    """How the customer prefers to be told. "Automatic": the ticket's own channel, else the primary
    contact's email, phone (SMS) or WeChat. "Portal only": nothing is sent; the portal shows it."""

    AUTO = "", _("Automatic (the channel you wrote on)")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    PORTAL = "portal", _("Portal only")


class ActionLinkPurpose:
    """What a signed single-use link in a customer notice lets the customer do without signing in
    (HND-3, CLS-1). The same values as herdesk.portal.choices.TokenPurpose, whose maker of links
    the portal registers (registry.action_link_register); a test keeps the two equal."""

    CHOOSE_OPTION = "choose_option"
    CONFIRM_RESOLUTION = "confirm_resolution"

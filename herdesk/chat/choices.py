from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an agent")
    ACTIVE = "active", _("With an agent")
    # No agent (outside service hours or nobody accepted in time): the widget takes a message
    # that becomes a ticket, so the customer is never left without a record (INT-1, INT-2).
    OFFLINE = "offline", _("Message taken (no agent)")
    CLOSED = "closed", _("Closed")


OPEN_CONVERSATION_STATUSES = (
    ConversationStatus.WAITING,
    ConversationStatus.ACTIVE,
    ConversationStatus.OFFLINE,
)


class OfflineReason(models.TextChoices):
    NONE = "", _("—")
    CLOSED_HOURS = "closed_hours", _("Outside service hours")
    NO_AGENT = "no_agent", _("No agent accepted in time")


class Sender(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Identity(models.TextChoices):
    """How we know who is chatting (INT-7: identity is checked before service)."""

    PORTAL = "portal", _("Signed in to the portal")
    PHONE = "phone", _("Phone number given in the chat (not verified)")

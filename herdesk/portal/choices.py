from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.tickets.choices import Status


class TokenPurpose(models.TextChoices):
    """What a signed single-use link may do (SEC-3, HND-3, CLS-1)."""

    LOGIN = "login", _("Sign in")
    CHOOSE_OPTION = "choose_option", _("Choose a solution option")
    CONFIRM_RESOLUTION = "confirm_resolution", _("Confirm the resolution")


# Links in emails: the action links a customer may open without signing in.
ACTION_PURPOSES = (TokenPurpose.CHOOSE_OPTION, TokenPurpose.CONFIRM_RESOLUTION)


class CustomerStatus(models.TextChoices):
    """What a customer sees instead of the internal workflow steps (triaged, assigned…)."""

    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being handled")
    WAITING_YOU = "waiting_you", _("Waiting for your reply")
    RESOLVED = "resolved", _("Resolved — please confirm")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    MERGED = "merged", _("Merged into another request")


CUSTOMER_STATUS: dict[str, CustomerStatus] = {
    Status.NEW: CustomerStatus.RECEIVED,
    Status.TRIAGED: CustomerStatus.RECEIVED,
    Status.ASSIGNED: CustomerStatus.RECEIVED,
    Status.ACKNOWLEDGED: CustomerStatus.IN_PROGRESS,
    Status.IN_PROGRESS: CustomerStatus.IN_PROGRESS,
    Status.WAITING_CUSTOMER: CustomerStatus.WAITING_YOU,
    Status.RESOLVED: CustomerStatus.RESOLVED,
    Status.CLOSED: CustomerStatus.CLOSED,
    Status.CANCELLED: CustomerStatus.CANCELLED,
    Status.MERGED: CustomerStatus.MERGED,
}

# Bootstrap colour per customer-facing status (templates only).
STATUS_COLOUR = {
    CustomerStatus.RECEIVED: "secondary",
    CustomerStatus.IN_PROGRESS: "primary",
    CustomerStatus.WAITING_YOU: "warning",
    CustomerStatus.RESOLVED: "success",
    CustomerStatus.CLOSED: "dark",
    CustomerStatus.CANCELLED: "light",
    CustomerStatus.MERGED: "light",
}

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Hotline phone")
    EMAIL = "email", _("Official service email")
    CHAT = "chat", _("Web/app chat")
    PORTAL = "portal", _("Customer portal")
    WECHAT = "wechat", _("WeChat official account")
    SOCIAL = "social", _("Social media")
    EMAIL_OTHER = "email_other", _("Non-work email")


# S1 §二(二)1: primary channels answer within 30 minutes, secondary within 2 working hours.
PRIMARY_CHANNELS = frozenset({Channel.PHONE, Channel.EMAIL, Channel.CHAT, Channel.PORTAL, Channel.WECHAT})
SECONDARY_CHANNELS = frozenset({Channel.SOCIAL, Channel.EMAIL_OTHER})


def channel_group(channel: str) -> str:
    return "primary" if channel in PRIMARY_CHANNELS else "secondary"


class ProblemType(models.TextChoices):
    """The six problem types of INT-4 (S1 §三(一)1)."""

    PRODUCT_INQUIRY = "product_inquiry", _("Product inquiry")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    ORDER_INQUIRY = "order_inquiry", _("Order inquiry")
    AFTER_SALES = "after_sales", _("After-sales (installation/repair)")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Complexity(models.TextChoices):
    """S1 §二(二)2: simple 15 min, general 4 h, complex 24 h."""

    SIMPLE = "simple", _("Simple")
    GENERAL = "general", _("General")
    COMPLEX = "complex", _("Complex")


class ComplaintSeverity(models.TextChoices):
    GENERAL = "general", _("General complaint")
    MAJOR = "major", _("Major complaint")


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.TRIAGED,
        Status.ASSIGNED,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_CUSTOMER,
    }
)


class SolutionStage(models.TextChoices):
    NONE = "", _("No options yet")
    OFFERED = "options_offered", _("Options offered")
    CHOSEN = "option_chosen", _("Option chosen")


class InteractionKind(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat transcript")
    WEB_FORM = "web_form", _("Web form")
    WECHAT = "wechat", _("WeChat message")
    SMS = "sms", _("SMS")
    ONSITE_VISIT = "onsite_visit", _("On-site visit")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    SYSTEM_EVENT = "system_event", _("System event")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From customer")
    OUTBOUND = "outbound", _("To customer")
    INTERNAL = "internal", _("Internal")


class VerificationMethod(models.TextChoices):
    """CLS-1 (S1 §三(三)1): how a resolution is verified."""

    REMOTE_DEMO = "remote_demo", _("Remote demonstration")
    ONSITE_CHECK = "onsite_check", _("On-site check")
    CUSTOMER_CONFIRMATION = "customer_confirmation", _("Customer confirmation")


class CloseReason(models.TextChoices):
    CUSTOMER_CONFIRMED = "customer_confirmed", _("Customer confirmed")
    HANDLER_CONFIRMED = "handler_confirmed", _("Handler confirmed the repair standard is met")
    ANSWERED = "answered", _("Answered directly")

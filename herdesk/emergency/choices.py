"""Choice lists of the emergencies app (EMG-1, EMG-2). No model imports."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    PRODUCT_RECALL = "product_recall", _("Product recall")
    COLD_CHAIN = "cold_chain", _("Cold-chain failure")
    DISEASE_OUTBREAK = "disease_outbreak", _("Regional disease outbreak")
    SYSTEM_OUTAGE = "system_outage", _("System outage")
    MASS_COMPLAINT = "mass_complaint", _("Mass complaint")


class Level(models.IntegerChoices):
    """Response levels: I is the most severe (国家分级惯例: Ⅰ级特别重大 … Ⅳ级一般)."""

    I = 1, _("Level I (特别重大)")  # noqa: E741
    II = 2, _("Level II (重大)")
    III = 3, _("Level III (较大)")
    IV = 4, _("Level IV (一般)")


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class Audience(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    STAFF = "staff", _("Staff")
    MANAGEMENT = "management", _("Management")


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")


class IncidentStatus(models.TextChoices):
    """S2 §7.1: 接收事件 → 评估风险 → 启动预案 → 执行处置 → 反馈结果 → 总结复盘."""

    SCHEDULED = "scheduled", _("Scheduled (drill)")
    DECLARED = "declared", _("Declared")
    ASSESSED = "assessed", _("Risk assessed")
    ACTIVATED = "activated", _("Plan activated")
    EXECUTING = "executing", _("Executing")
    INFORMED = "informed", _("Customers informed")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# While an incident is in one of these, it is "active" (the portal banner shows its statement).
ACTIVE_STATUSES = frozenset(
    {
        IncidentStatus.DECLARED,
        IncidentStatus.ASSESSED,
        IncidentStatus.ACTIVATED,
        IncidentStatus.EXECUTING,
        IncidentStatus.INFORMED,
    }
)


class UpdateKind(models.TextChoices):
    REPLY = "reply", _("Reply to every linked ticket")
    RESOLUTION = "resolution", _("Resolution of every linked ticket")


class RecipientStatus(models.TextChoices):
    """A recipient row's own state; once queued, the outbox row says pending / sent / failed."""

    QUEUED = "queued", _("Queued")
    NO_ADDRESS = "no_address", _("No address on this channel")
    DRILL = "drill", _("Drill (not sent)")

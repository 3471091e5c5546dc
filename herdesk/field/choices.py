"""Choice lists of field service (FLD-1..3): equipment status, work-order kinds and states."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EquipmentStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    UNDER_REPAIR = "under_repair", _("Under repair")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    RETIRED = "retired", _("Retired")


class WarrantyStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    IN_WARRANTY = "in_warranty", _("In warranty")
    EXPIRING = "expiring", _("Warranty expiring")
    EXPIRED = "expired", _("Out of warranty")


class WorkOrderKind(models.TextChoices):
    INSTALLATION = "installation", _("Installation")
    REPAIR = "repair", _("Repair")
    MAINTENANCE = "maintenance", _("Maintenance")
    INSPECTION = "inspection", _("Inspection")


class WorkOrderStatus(models.TextChoices):
    NEW = "new", _("Not scheduled")
    # "Scheduled" alone is 待生效 elsewhere (a policy taking effect): a booked visit is 已排期.
    SCHEDULED = "scheduled", pgettext_lazy("work order status", "Scheduled")
    IN_PROGRESS = "in_progress", _("On site")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class StoreKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    VAN = "van", _("Service van")


class IntervalKind(models.TextChoices):
    CALENDAR = "calendar", _("Calendar")
    METER = "meter", _("Meter")


class Frequency(models.TextChoices):
    DAILY = "DAILY", _("days")
    WEEKLY = "WEEKLY", _("weeks")
    MONTHLY = "MONTHLY", _("months")


class ReservationStatus(models.TextChoices):
    """Parts a maintenance plan lists, set aside for its generated order (FLD-3)."""

    RESERVED = "reserved", _("Reserved")
    SHORT = "short", _("Not enough in stock")
    RELEASED = "released", _("Released")
    CONSUMED = "consumed", _("Used")

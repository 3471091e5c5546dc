"""Field service: equipment registry (FLD-1), parts and stock, work orders (FLD-2), preventive
maintenance plans (FLD-3) and the biosecurity alerts that constrain scheduling (FLD-4)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedTextField

from .choices import (
    EquipmentStatus,
    Frequency,
    IntervalKind,
    ReservationStatus,
    StoreKind,
    WarrantyStatus,
    WorkOrderKind,
    WorkOrderStatus,
)

# A warranty ending within this many days shows as "expiring".
WARRANTY_EXPIRING_DAYS = 60


def _token() -> str:
    return secrets.token_urlsafe(12)


class Equipment(models.Model):
    """One piece of customer equipment at a site (farm, barn)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="equipment"
    )
    farm = models.ForeignKey(
        "customers.Organisation",
        verbose_name=_("farm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="equipment",
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    model = models.CharField(_("model"), max_length=80, blank=True)
    serial = models.CharField(_("serial number"), max_length=80, unique=True)
    purchased_on = models.DateField(_("purchase date"), null=True, blank=True)
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    warranty_months = models.PositiveIntegerField(_("warranty (months)"), default=12)
    warranty_terms = models.TextField(_("warranty terms"), blank=True)
    barn = models.CharField(_("barn"), max_length=80, blank=True)
    # The farm address is often the farmer's home: personal data, under the customer's key (SEC-6).
    address = EncryptedTextField(_("address"), blank=True, subject="customer__data_key")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    meter_hours = models.PositiveIntegerField(_("meter (operating hours)"), default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=EquipmentStatus.choices, default=EquipmentStatus.IN_SERVICE
    )
    # The QR label's public code (the customer's help page); staff get the staff page.
    public_code = models.CharField(max_length=24, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["customer_id", "serial"]
        indexes = [models.Index(fields=["customer", "status"]), models.Index(fields=["product", "status"])]

    def __str__(self) -> str:
        return f"{self.model or self.product or ''} {self.serial}".strip()

    @property
    def warranty_until(self) -> dt.date | None:
        start = self.installed_on or self.purchased_on
        if start is None:
            return None
        months = start.month - 1 + self.warranty_months
        year, month = start.year + months // 12, months % 12 + 1
        # The same day of the month (the last day when the month is shorter).
        for day in (start.day, 30, 29, 28):
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
        return None  # pragma: no cover

    def warranty_status(self, today: dt.date | None = None) -> str:
        until = self.warranty_until
        if until is None:
            return WarrantyStatus.UNKNOWN
        today = today or dt.date.today()
        if until < today:
            return WarrantyStatus.EXPIRED
        if (until - today).days <= WARRANTY_EXPIRING_DAYS:
            return WarrantyStatus.EXPIRING
        return WarrantyStatus.IN_WARRANTY

    @property
    def location(self) -> str:
        parts = [self.farm.name if self.farm_id and self.farm else "", self.barn, self.address]
        return " · ".join(p for p in parts if p)


class EquipmentDocument(models.Model):
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to="field/documents/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]


class MeterReading(models.Model):
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="readings")
    value = models.PositiveIntegerField(_("reading"))
    read_at = models.DateTimeField(_("read at"))
    work_order = models.ForeignKey(
        "WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-read_at", "-pk"]


class TicketEquipment(models.Model):
    """The equipment a ticket is about (the ticket core knows nothing of equipment)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="equipment_link")
    equipment = models.ForeignKey(Equipment, on_delete=models.PROTECT, related_name="ticket_links")
    linked_at = models.DateTimeField(auto_now_add=True)


class Part(models.Model):
    """The parts catalogue."""

    code = models.CharField(_("part code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=12, default="个")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Store(models.Model):
    """A warehouse or an engineer's van holding parts."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=StoreKind.choices, default=StoreKind.WAREHOUSE)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="vans"
    )

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="stock")
    quantity = models.IntegerField(_("quantity"), default=0)
    # Set aside for generated maintenance orders (`StockReservation`): available = quantity - reserved.
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "part"], name="field_stock_store_part"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="field_stock_not_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0, reserved__lte=models.F("quantity")),
                name="field_stock_reserved_in_range",
            ),
        ]

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


class MaintenancePlan(models.Model):
    """Preventive maintenance for a model (every piece of a product) or one piece of equipment."""

    name = models.CharField(_("name"), max_length=120)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    equipment = models.ForeignKey(
        Equipment, verbose_name=_("equipment"), null=True, blank=True, on_delete=models.CASCADE
    )
    interval_kind = models.CharField(
        _("interval"), max_length=10, choices=IntervalKind.choices, default=IntervalKind.CALENDAR
    )
    frequency = models.CharField(
        _("every"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    interval = models.PositiveIntegerField(_("interval count"), default=3)
    meter_interval = models.PositiveIntegerField(_("meter interval (hours)"), default=0)
    lead_days = models.PositiveIntegerField(_("lead time (days)"), default=14)
    lead_hours = models.PositiveIntegerField(_("meter lead (hours)"), default=50)
    starts_on = models.DateField(_("starts on"))
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    parts = models.JSONField(_("parts"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product__isnull=False) | models.Q(equipment__isnull=False),
                name="field_plan_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkOrder(models.Model):
    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=WorkOrderKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.NEW
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    plan = models.ForeignKey(MaintenancePlan, null=True, blank=True, on_delete=models.SET_NULL)
    # The plan occurrence this order is for ("2027-03-01" or "m1500"): unique with plan and equipment.
    due_key = models.CharField(max_length=20, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="work_orders")
    equipment = models.ForeignKey(
        Equipment, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    farm = models.ForeignKey(
        "customers.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    engineers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="work_orders")
    scheduled_start = models.DateTimeField(_("scheduled from"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("scheduled until"), null=True, blank=True)
    # The farm address is often the farmer's home: personal data, under the customer's key (SEC-6).
    address = EncryptedTextField(_("address"), blank=True, subject="customer__data_key")
    content = models.TextField(_("service content"), blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    signed_by = models.CharField(_("signed by"), max_length=80, blank=True)
    confirmation = models.CharField(_("customer confirmation"), max_length=500, blank=True)
    signature = models.FileField(upload_to="field/signatures/%Y/%m/", blank=True)
    report = models.FileField(upload_to="field/reports/%Y/%m/", blank=True)
    interaction_id = models.BigIntegerField(null=True, blank=True)  # the ticket's on-site entry
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("schedule_workorder", "Can schedule and dispatch work orders")]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "equipment", "due_key"],
                condition=models.Q(plan__isnull=False),
                name="field_workorder_plan_occurrence",
            )
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_start"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in (WorkOrderStatus.NEW, WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS)


class PartUsage(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts_used")
    part = models.ForeignKey(Part, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(auto_now_add=True)


class StockReservation(models.Model):
    """A part a maintenance plan lists, set aside in a store for one generated order: reserved when
    the order is generated, released when it is cancelled, consumed (a `PartUsage`) when it is
    completed. `short` when no store had enough available: nothing is taken, the order page says so."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="reservations")
    part = models.ForeignKey(Part, on_delete=models.PROTECT)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.RESERVED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One reservation per order and part: a second generator run cannot reserve twice.
            models.UniqueConstraint(fields=["work_order", "part"], name="field_reservation_once")
        ]


class WorkOrderPhoto(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="field/photos/%Y/%m/")
    caption = models.CharField(max_length=120, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Submission(models.Model):
    """An engineer's form submission by its client-generated idempotency key: a form resent (the
    phone's offline queue, a double tap) is answered from here and never applied twice."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)


class DiseaseAlert(models.Model):
    """A farm under a disease alert (biosecurity, FLD-4)."""

    farm = models.ForeignKey(
        "customers.Organisation", on_delete=models.CASCADE, related_name="disease_alerts"
    )
    disease = models.CharField(_("disease"), max_length=80)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

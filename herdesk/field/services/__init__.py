"""Every write of field service (FLD-1..4), one module per responsibility:

- `equipment`: equipment, meter readings, a ticket's equipment, the import's value parsers;
- `stock`: parts and stock (receipts, write-offs, parts used on site, maintenance reservations);
- `work_orders`: creation, the one transition function enforcing `lifecycle.TRANSITIONS`, arrival,
  photos, the signed completion that writes the ticket's on-site record (CLS-3);
- `scheduling`: booking engineers, overlaps, the biosecurity quarantine and disease alerts (FLD-4);
- `maintenance`: preventive-maintenance plans and the generator (FLD-3);
- `reporting`: the Chinese PDF service report queued to the customer.

Keyword arguments, `actor=`, one transaction each; refused input raises ValidationError keyed by
field, a refused business rule DomainError (bilingual through gettext). Every change is audited;
one that concerns a ticket also gets a timeline entry through the ticket services. The public names
are re-exported here, so `from herdesk.field import services` keeps working.
"""

from ._common import MAX_PHOTO_BYTES, MAX_SIGNATURE_BYTES, PNG_MAGIC, ZONE, quarantine_hours
from .equipment import (
    EQUIPMENT_FIELDS,
    equipment_create,
    equipment_update,
    meter_reading_record,
    parse_date,
    parse_decimal,
    ticket_equipment_link,
)
from .maintenance import maintenance_generate, maintenance_plan_create
from .reporting import report_send
from .scheduling import (
    biosecurity_conflicts,
    disease_alert_declare,
    disease_alert_end,
    schedule_conflicts,
    work_order_schedule,
)
from .stock import (
    part_use,
    plan_parts_clean,
    reservations_consume,
    reservations_make,
    reservations_release,
    stock_adjust,
)
from .work_orders import (
    photo_add,
    signature_decode,
    work_order_arrive,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_depart,
    work_order_transition,
    work_order_unschedule,
)

__all__ = [
    "EQUIPMENT_FIELDS",
    "MAX_PHOTO_BYTES",
    "MAX_SIGNATURE_BYTES",
    "PNG_MAGIC",
    "ZONE",
    "biosecurity_conflicts",
    "disease_alert_declare",
    "disease_alert_end",
    "equipment_create",
    "equipment_update",
    "maintenance_generate",
    "maintenance_plan_create",
    "meter_reading_record",
    "parse_date",
    "parse_decimal",
    "part_use",
    "photo_add",
    "plan_parts_clean",
    "quarantine_hours",
    "report_send",
    "reservations_consume",
    "reservations_make",
    "reservations_release",
    "schedule_conflicts",
    "signature_decode",
    "stock_adjust",
    "ticket_equipment_link",
    "work_order_arrive",
    "work_order_cancel",
    "work_order_complete",
    "work_order_create",
    "work_order_depart",
    "work_order_schedule",
    "work_order_transition",
    "work_order_unschedule",
]

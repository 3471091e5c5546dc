"""Moving existing customers onto per-subject data keys (crypto-shredding, SEC-4).

Rows written before per-subject keys (or through QuerySet.update) hold values under the master key
("v1:"); re-saving them through the model encrypts them under the customer's own key ("v2:"),
creating the key if the customer has none. Used by migration customers/0004 and by
`herdesk privacy keys adopt`; batched (one transaction a batch) and idempotent: nothing is lost if
it stops half-way, a second run finishes the rest.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

LEGACY = "v1:"


def subject_keys_adopt(customer_model: Any, contact_model: Any, *, batch: int = 500) -> dict[str, int]:
    """Give every customer a data key and re-encrypt master-key values under it; returns counts."""
    counts = {"customers": 0, "contacts": 0}
    legacy = Q(data_key__isnull=True) | Q(address__startswith=LEGACY) | Q(id_number__startswith=LEGACY)
    last = 0
    while True:
        rows = list(customer_model.objects.filter(legacy, pk__gt=last).order_by("pk")[:batch])
        if not rows:
            break
        with transaction.atomic():
            for customer in rows:
                customer.save(update_fields=["data_key", "address", "id_number"])
        counts["customers"] += len(rows)
        last = rows[-1].pk
    legacy = Q(phone__startswith=LEGACY) | Q(email__startswith=LEGACY)
    last = 0
    while True:
        rows = list(
            contact_model.objects.filter(legacy, pk__gt=last)
            .select_related("customer")
            .order_by("pk")[:batch]
        )
        if not rows:
            break
        with transaction.atomic():
            for contact in rows:
                contact.save(update_fields=["phone", "email"])
        counts["contacts"] += len(rows)
        last = rows[-1].pk
    return counts

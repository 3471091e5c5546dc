"""Closed tickets whose pre-resolution clocks never stopped (before `_close_outstanding`, closing
left e.g. the solution-options clock of a ticket resolved without options counting): a recorded
breach stops counting at the close, the rest are cancelled as no longer applicable. Set-based: one
UPDATE per outcome, whatever the number of tickets."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Now


def forwards(apps, schema_editor):
    Clock = apps.get_model("clocks", "Clock")
    Ticket = apps.get_model("tickets", "Ticket")
    closed_at = Coalesce(
        Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("closed_at")[:1]), Now()
    )
    outstanding = (
        Clock.objects.filter(stopped_at__isnull=True, ticket__status="closed")
        .exclude(state="cancelled")
        .exclude(definition__start_event__in=["resolved", "closed"])
    )
    outstanding.filter(breached_at__isnull=False).update(state="breached", stopped_at=closed_at)
    outstanding.filter(breached_at__isnull=True).update(state="cancelled", stopped_at=closed_at)


class Migration(migrations.Migration):
    dependencies = [
        ("clocks", "0006_drop_redundant_fk_indexes"),
        ("tickets", "0005_open_index_covers_queue_columns"),
        ("policies", "0002_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

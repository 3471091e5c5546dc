"""Resolved tickets whose pre-resolution clocks never stopped (before resolving ended them as
closing does, `clocks._close_outstanding`): a recorded breach stops counting at the resolution,
the rest are cancelled as no longer applicable. Set-based, as 0007 for closed tickets."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Now


def forwards(apps, schema_editor):
    Clock = apps.get_model("clocks", "Clock")
    Ticket = apps.get_model("tickets", "Ticket")
    resolved_at = Coalesce(
        Subquery(Ticket.objects.filter(pk=OuterRef("ticket_id")).values("resolved_at")[:1]), Now()
    )
    outstanding = (
        Clock.objects.filter(stopped_at__isnull=True, ticket__status="resolved")
        .exclude(state="cancelled")
        .exclude(definition__start_event__in=["resolved", "closed"])
    )
    outstanding.filter(breached_at__isnull=False).update(state="breached", stopped_at=resolved_at)
    outstanding.filter(breached_at__isnull=True).update(state="cancelled", stopped_at=resolved_at)


class Migration(migrations.Migration):
    dependencies = [
        ("clocks", "0007_close_outstanding_clocks_of_closed_tickets"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
